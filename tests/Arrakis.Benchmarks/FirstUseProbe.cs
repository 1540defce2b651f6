using System.Diagnostics;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// A drift-resistant complement to <see cref="CheckpointLoadBenchmark"/> on a shared, noisy machine:
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- first-use [rounds]</c>. Each round runs every operation
/// once, in a shuffled order, in this one process; each operation's time is divided by the <c>cat</c> time of the same
/// round, and the median of those per-round ratios is reported. BenchmarkDotNet runs the operations one after another in
/// separate processes, minutes apart, so a change in the machine's load between them distorts its ratios.
/// </summary>
internal static class FirstUseProbe
{
    public static int Run(int rounds)
    {
        string path = CheckpointFixture.Ensure();
        var resident = CheckpointFixture.Layout().Select(t => randn(t.Shape)).ToList();
        var operations = new (string Name, Func<double> Run)[]
        {
            ("cat", () => CheckpointFixture.CatLikeRead(path)),
            ("load all (copy)", () => CheckpointFixture.LoadAll(path)),
            ("load all, mapped", () => CheckpointFixture.LoadAll(path, memoryMap: true)),
            ("load all (copy) + sum", () => CheckpointFixture.LoadAllThenSum(path, memoryMap: false)),
            ("load all, mapped + sum", () => CheckpointFixture.LoadAllThenSum(path, memoryMap: true)),
            ("sum of resident tensors", () => resident.Sum(t => { using var s = t.sum(); return (double)s.item<float>(); })),
        };
        foreach (var op in operations)
            op.Run(); // warm-up: page cache, libtorch kernels, JIT
        var ratios = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var times = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var random = new Random(1);
        for (int r = 0; r < rounds; r++)
        {
            var order = operations.OrderBy(_ => random.Next()).ToList();
            var round = new Dictionary<string, double>();
            foreach (var (name, run) in order)
            {
                var clock = Stopwatch.StartNew();
                GC.KeepAlive(run());
                round[name] = clock.Elapsed.TotalMilliseconds;
            }
            foreach (var (name, ms) in round)
            {
                times[name].Add(ms);
                ratios[name].Add(ms / round["cat"]);
            }
        }
        Console.WriteLine($"{path}, {new FileInfo(path).Length / 1e6:F1} MB, {rounds} rounds; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"operation",-26} {"median ms",10} {"median ratio to cat (per round)",32} {"min–max ratio",16}");
        foreach (var (name, _) in operations)
            Console.WriteLine($"{name,-26} {Median(times[name]),10:F1} {Median(ratios[name]),32:F2} {ratios[name].Min(),7:F2}–{ratios[name].Max():F2}");
        foreach (var t in resident)
            t.Dispose();
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
