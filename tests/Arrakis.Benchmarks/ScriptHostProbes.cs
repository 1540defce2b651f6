using System.Diagnostics;
using Arrakis.Scripting;

namespace Arrakis.Benchmarks;

/// <summary>
/// The script host's startup and memory, measured outside BenchmarkDotNet (they are about whole processes and long sessions):
/// <c>script-startup</c>: a trivial script run by the arrakis command as a fresh process, first with an empty compile
/// cache (cold), then re-run from the cache; <c>script-memory</c>: 300 distinct scripts and 300 REPL submissions in one
/// process, with the RSS and managed heap before and after.
/// </summary>
internal static class ScriptHostProbes
{
    public static int Startup(int runs)
    {
        string arrakis = Path.Combine(AppContext.BaseDirectory, "arrakis");
        string dir = Directory.CreateTempSubdirectory("arrakis-startup-").FullName;
        try
        {
            string script = Path.Combine(dir, "trivial.csx");
            // No plugins: the benchmarks' own built-in plugin folder would otherwise be loaded by every run.
            string config = Path.Combine(dir, "plugins.json");
            File.WriteAllText(config, "{ \"includeBuiltIn\": false }");
            File.WriteAllText(script, "Out.WriteLine(\"hello\");\n");
            var cold = new List<(double Wall, double Cpu, double Compile)>();
            var cached = new List<(double Wall, double Cpu, double Compile)>();
            for (int i = 0; i < runs; i++)
            {
                string cache = Path.Combine(dir, $"cache{i}");
                cold.Add(Run(arrakis, dir, cache, script));      // empty cache: compiles
                cached.Add(Run(arrakis, dir, cache, script));    // same cache: reads the compiled assembly
            }
            Report("cold (empty cache)", cold);
            Report("cached re-run", cached);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (double Wall, double Cpu, double Compile) Run(string arrakis, string dir, string cache, string script)
    {
        var info = new ProcessStartInfo(arrakis) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "run", script, "--timings" }) info.ArgumentList.Add(a);
        info.Environment["ARRAKIS_SCRIPT_CACHE"] = cache;
        double cpuBefore = ChildrenCpuMs();
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(info)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double wall = clock.Elapsed.TotalMilliseconds;
        double cpu = ChildrenCpuMs() - cpuBefore;
        if (p.ExitCode != 0) throw new InvalidOperationException(stderr);
        // "arrakis: compile 43 ms (cached), ..."
        string line = stderr.Split('\n').First(l => l.StartsWith("arrakis: compile ", StringComparison.Ordinal));
        double compile = double.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        return (wall, cpu, compile);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, long[] usage);

    /// <summary>User + system CPU of the waited-for children so far (getrusage(RUSAGE_CHILDREN)).</summary>
    private static double ChildrenCpuMs()
    {
        var usage = new long[18]; // struct rusage: ru_utime {sec, usec}, ru_stime {sec, usec}, ...
        if (getrusage(-1, usage) != 0) return double.NaN;
        return (usage[0] + usage[2]) * 1000.0 + (usage[1] + usage[3]) / 1000.0;
    }

    private static void Report(string what, List<(double Wall, double Cpu, double Compile)> runs)
    {
        static double Median(IEnumerable<double> xs) { var s = xs.Order().ToArray(); return s[s.Length / 2]; }
        Console.WriteLine($"{what,-20} process start→exit median {Median(runs.Select(r => r.Wall)),6:F0} ms (min {runs.Min(r => r.Wall):F0}, max {runs.Max(r => r.Wall):F0}); " +
            $"CPU {Median(runs.Select(r => r.Cpu)),6:F0} ms; compile {Median(runs.Select(r => r.Compile)),6:F0} ms  [{runs.Count} runs]");
    }

    public static async Task<int> Memory(int count)
    {
        var host = new ScriptHost(new ScriptHostOptions { UseCache = false });
        string dir = Directory.CreateTempSubdirectory("arrakis-memory-").FullName;
        try
        {
            ScriptGlobals Globals() => new(() => throw new InvalidOperationException("no model in this probe"), outDir: dir, output: TextWriter.Null);
            // Warm up the compiler so its own one-time costs are not counted as growth.
            for (int i = 0; i < 10; i++) await host.RunAsync(await host.CompileCodeAsync($"var w{i} = {i}; w{i}", Path.Combine(dir, $"w{i}.csx")), Globals());
            var (rssA, heapA) = Snapshot();
            var one = await host.CompileCodeAsync("var y = 1; y", Path.Combine(dir, "one.csx"));
            for (int i = 0; i < count; i++) await host.RunAsync(one, Globals());
            var (rssB, heapB) = Snapshot();
            Console.WriteLine($"{count} runs of one compiled script (a collectible context each): RSS {rssA}→{rssB} MB (+{rssB - rssA}), managed heap {heapA}→{heapB} MB");
            for (int i = 0; i < count; i++) await host.CompileCodeAsync($"var c{i} = {i}; c{i}", Path.Combine(dir, $"c{i}.csx"));
            var (rssC, heapC) = Snapshot();
            Console.WriteLine($"{count} compilations, not run: RSS {rssB}→{rssC} MB (+{rssC - rssB}), managed heap {heapB}→{heapC} MB");
            var (rss0, heap0) = Snapshot();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
                await host.RunAsync(await host.CompileCodeAsync($"var x{i} = {i}; Enumerable.Range(0, {i % 7 + 1}).Sum() + x{i}", Path.Combine(dir, $"s{i}.csx")), Globals());
            var (rss1, heap1) = Snapshot();
            Console.WriteLine($"{count} distinct scripts, one host: RSS {rss0}→{rss1} MB (+{rss1 - rss0}), managed heap {heap0}→{heap1} MB, {clock.Elapsed.TotalMilliseconds / count:F0} ms per compile+run");

            using (var repl = new ReplSession(host, Globals(), dir))
            {
                for (int i = 0; i < count; i++) await repl.SubmitAsync($"var r{i} = {i};");
                var (rss2, heap2) = Snapshot();
                Console.WriteLine($"{count} REPL submissions kept in one session: RSS {rss1}→{rss2} MB (+{rss2 - rss1}), managed heap {heap1}→{heap2} MB");
                repl.Reset();
            }
            var (rss3, heap3) = Snapshot();
            Console.WriteLine($"after #reset: RSS {rss3} MB, managed heap {heap3} MB");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (long RssMb, long HeapMb) Snapshot()
    {
        for (int i = 0; i < 5; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(20);
        }
        using var self = Process.GetCurrentProcess();
        return (self.WorkingSet64 >> 20, GC.GetTotalMemory(true) >> 20);
    }
}
