using System.Diagnostics;

namespace Arrakis.Benchmarks;

/// <summary>
/// Timing that resists a drifting machine: each round runs every operation once, in a shuffled order, in this one
/// process; each operation's time is divided by the baseline's time in the same round, and the median of those
/// per-round ratios is reported. BenchmarkDotNet runs its benchmarks one after another, minutes apart, so on a shared VM
/// a change of speed between them distorts its ratios; this is the complement, not a replacement.
/// </summary>
internal static class InterleavedProbe
{
    /// <summary>Runs <paramref name="rounds"/> shuffled rounds after one warm-up of each operation and prints the table.</summary>
    /// <param name="title">First line of the report (the load average is appended).</param>
    /// <param name="operations">The operations; the first is the baseline every ratio divides by.</param>
    /// <param name="rounds">How many rounds.</param>
    public static void Run(string title, IReadOnlyList<(string Name, Func<object?> Run)> operations, int rounds)
    {
        string baseline = operations[0].Name;
        foreach (var op in operations)
            GC.KeepAlive(op.Run()); // warm-up: page cache, libtorch kernels, JIT
        var ratios = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var times = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var random = new Random(1);
        for (int r = 0; r < rounds; r++)
        {
            var round = new Dictionary<string, double>();
            foreach (var (name, run) in operations.OrderBy(_ => random.Next()).ToList())
            {
                var clock = Stopwatch.StartNew();
                GC.KeepAlive(run());
                round[name] = clock.Elapsed.TotalMilliseconds;
            }
            foreach (var (name, ms) in round)
            {
                times[name].Add(ms);
                ratios[name].Add(ms / round[baseline]);
            }
        }
        Console.WriteLine($"{title}, {rounds} rounds; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"operation",-40} {"median ms",10} {$"median ratio to {baseline} (per round)",40} {"min–max ratio",16}");
        foreach (var (name, _) in operations)
            Console.WriteLine($"{name,-40} {Median(times[name]),10:F1} {Median(ratios[name]),40:F3} {ratios[name].Min(),7:F2}–{ratios[name].Max():F2}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
