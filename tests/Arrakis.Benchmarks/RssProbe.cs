using System.Diagnostics;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// Peak resident memory of loading the checkpoint, each operation in a fresh process (VmHWM from /proc/self/status):
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- rss</c>.
/// </summary>
internal static class RssProbe
{
    public static int Run(string[] args)
    {
        if (args.Length >= 2 && args[0] == "rss-child")
            return Child(args[1], args.Length > 2 ? args[2] : CheckpointFixture.DefaultPath);
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("rss: Linux only (reads /proc/self/status).");
            return 2;
        }
        if (args.Length > 1 && args[1] == "pretrained")
            return Pretrained();
        string path = CheckpointFixture.Ensure(args.Length > 1 ? args[1] : null);
        long size = new FileInfo(path).Length;
        Console.WriteLine($"checkpoint: {path}, {size / 1e6:F1} MB");
        var results = new Dictionary<string, (long Hwm, long Ms, long Anon, long FileBacked)>();
        foreach (string op in new[] { "idle", "cat", "load", "load-sum", "load-mapped", "load-mapped-sum" })
            results[op] = Spawn(op, path);
        PrintTable(results);
        foreach (string load in new[] { "load", "load-sum", "load-mapped", "load-mapped-sum" })
            Report(results, load, size);
        return 0;
    }

    /// <summary><c>rss pretrained</c>: the same for FromPretrained on the GPT-2-small folder.</summary>
    private static int Pretrained()
    {
        string folder = PretrainedFixture.Ensure();
        long size = new FileInfo(Path.Combine(folder, "model.safetensors")).Length;
        Console.WriteLine($"checkpoint: {folder}, {size / 1e6:F1} MB");
        var results = new Dictionary<string, (long Hwm, long Ms, long Anon, long FileBacked)>();
        foreach (string op in new[] { "idle", "cat-pretrained", "from-pretrained", "from-pretrained-processed", "from-pretrained-mapped",
                     "from-pretrained-mapped-processed" })
            results[op] = Spawn(op, folder);
        PrintTable(results);
        foreach (string load in new[] { "from-pretrained", "from-pretrained-processed", "from-pretrained-mapped", "from-pretrained-mapped-processed" })
            Report(results, load, size);
        return 0;
    }

    private static void PrintTable(Dictionary<string, (long Hwm, long Ms, long Anon, long FileBacked)> results)
    {
        foreach (var (op, (hwm, ms, anon, fileBacked)) in results)
            Console.WriteLine($"{op,-34} peak RSS {hwm / 1e6,8:F1} MB  ({ms} ms; at exit: anonymous {anon / 1e6:F1} MB, file-backed {fileBacked / 1e6:F1} MB)");
    }

    private static void Report(Dictionary<string, (long Hwm, long Ms, long Anon, long FileBacked)> results, string load, long size)
    {
        long growth = results[load].Hwm - results["idle"].Hwm;
        Console.WriteLine($"{load} - idle = {growth / 1e6:F1} MB = {100.0 * growth / size:F1}% of the file; " +
                          $"{load} peak / file size = {100.0 * results[load].Hwm / size:F1}%");
    }

    private static (long, long, long, long) Spawn(string op, string path)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(RssProbe).Assembly.Location);
        foreach (string a in new[] { "rss-child", op, path })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var parts = output.Trim().Split(' ');
        if (child.ExitCode != 0 || parts.Length != 4)
            throw new InvalidOperationException($"rss-child {op} failed ({child.ExitCode}): {output}");
        return (long.Parse(parts[0]), long.Parse(parts[1]), long.Parse(parts[2]), long.Parse(parts[3]));
    }

    private static int Child(string op, string path)
    {
        using (var warm = ones(4)) { } // libtorch loaded and initialised in every mode
        var clock = Stopwatch.StartNew();
        long bytes = op switch
        {
            "idle" => 0,
            "cat" => CheckpointFixture.CatLikeRead(path),
            "load" => CheckpointFixture.LoadAll(path),
            "load-sum" => (long)CheckpointFixture.LoadAllThenSum(path, memoryMap: false),
            "load-mapped" => CheckpointFixture.LoadAll(path, memoryMap: true),
            "load-mapped-sum" => (long)CheckpointFixture.LoadAllThenSum(path, memoryMap: true),
            "cat-pretrained" => CheckpointFixture.CatLikeRead(Path.Combine(path, "model.safetensors")),
            "from-pretrained" => PretrainedFixture.Load(path, ProcessWeightsOptions.None),
            "from-pretrained-processed" => PretrainedFixture.Load(path, ProcessWeightsOptions.Default),
            "from-pretrained-mapped" => PretrainedFixture.Load(path, ProcessWeightsOptions.None, memoryMap: true),
            "from-pretrained-mapped-processed" => PretrainedFixture.Load(path, ProcessWeightsOptions.Default, memoryMap: true),
            _ => throw new ArgumentException(op),
        };
        long ms = clock.ElapsedMilliseconds;
        GC.KeepAlive(bytes);
        var status = File.ReadAllLines("/proc/self/status");
        // Anonymous (the process's own memory) and file-backed (page-cache pages mapped in, shared) at the end; the
        // tensors are disposed by then, so these show what the load left behind, VmHWM what it peaked at.
        Console.WriteLine($"{ProcessMemory.Bytes(status, "VmHWM:")} {ms} {ProcessMemory.Bytes(status, "RssAnon:")} {ProcessMemory.Bytes(status, "RssFile:")}");
        return 0;
    }
}
