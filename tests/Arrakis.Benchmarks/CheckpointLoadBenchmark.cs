using System.Runtime.InteropServices;
using Arrakis.Checkpoints;
using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// Loading a ~500 MB safetensors checkpoint (GPT-2-medium-like shapes, F32) against reading the same bytes while the
/// file is in the page cache. Baseline: <c>cat file &gt; /dev/null</c>'s work (sequential reads into one reused
/// 128 KiB buffer). Second reference: the same reads into freshly allocated memory of the file's size, which pays the
/// page faults any loader that keeps the tensors must pay. Last: reading into tensors that already exist (a constructed
/// model's parameters), which isolates the loader's own cost from first-touch page faults. Then memory-mapped loading
/// (<c>SafetensorsFile.Open(path, memoryMap: true)</c>), which returns views of the file without touching the data, so
/// it is reported twice: the load alone, and load + first full use (a sum over every tensor, which reads every page),
/// beside the same sum after a copying load and the sum alone over tensors already resident (the cost of the use itself).
/// </summary>
[MemoryDiagnoser]
public class CheckpointLoadBenchmark
{
    private string _path = null!;
    private Dictionary<string, Tensor> _parameters = null!;

    [GlobalSetup]
    public void Setup()
    {
        _path = CheckpointFixture.Ensure();
        // Stand-ins for a model's parameters: allocated and touched once, as a constructed model's are.
        _parameters = CheckpointFixture.Layout().ToDictionary(t => t.Name, t => zeros(t.Shape));
        // Warm the page cache, as `cat file > /dev/null` was run first.
        CatLikeRead();
    }

    [Benchmark(Baseline = true, Description = "read bytes, 128 KiB buffer (cat)")]
    public long CatLikeRead() => CheckpointFixture.CatLikeRead(_path);

    [Benchmark(Description = "read bytes into fresh memory")]
    public long ReadIntoFreshMemory() => CheckpointFixture.ReadIntoFreshMemory(_path);

    [Benchmark(Description = "SafetensorsFile: open + load all")]
    public long LoadAll() => CheckpointFixture.LoadAll(_path);

    [Benchmark(Description = "SafetensorsFile: open + load all, mapped (no data touched)")]
    public long LoadAllMapped() => CheckpointFixture.LoadAll(_path, memoryMap: true);

    [Benchmark(Description = "SafetensorsFile: open + load all + sum every tensor")]
    public double LoadAllThenSum() => CheckpointFixture.LoadAllThenSum(_path, memoryMap: false);

    [Benchmark(Description = "SafetensorsFile: open + load all, mapped + sum every tensor")]
    public double LoadAllMappedThenSum() => CheckpointFixture.LoadAllThenSum(_path, memoryMap: true);

    [Benchmark(Description = "sum every tensor of resident parameters (the use alone)")]
    public double SumResident()
    {
        double total = 0;
        foreach (var t in _parameters.Values)
        {
            using var sum = t.sum();
            total += sum.item<float>();
        }
        return total;
    }

    [Benchmark(Description = "SafetensorsFile: open + LoadInto parameters")]
    public long LoadIntoParameters()
    {
        using var file = SafetensorsFile.Open(_path);
        foreach (var (name, parameter) in _parameters)
            file.LoadInto(name, parameter);
        return _parameters.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in _parameters.Values)
            t.Dispose();
    }
}

/// <summary>The generated checkpoint and the operations the benchmark and the RSS probe run.</summary>
internal static class CheckpointFixture
{
    /// <summary>GPT-2-medium-like: a [50257, 1024] embedding and six blocks of d_model 1024 (≈ 508 MB of F32).</summary>
    public static IEnumerable<(string Name, long[] Shape)> Layout()
    {
        yield return ("transformer.wte.weight", [50257, 1024]);
        yield return ("transformer.wpe.weight", [1024, 1024]);
        for (int l = 0; l < 6; l++)
        {
            string p = $"transformer.h.{l}.";
            yield return (p + "ln_1.weight", [1024]);
            yield return (p + "ln_1.bias", [1024]);
            yield return (p + "attn.c_attn.weight", [1024, 3072]);
            yield return (p + "attn.c_attn.bias", [3072]);
            yield return (p + "attn.c_proj.weight", [1024, 1024]);
            yield return (p + "attn.c_proj.bias", [1024]);
            yield return (p + "ln_2.weight", [1024]);
            yield return (p + "ln_2.bias", [1024]);
            yield return (p + "mlp.c_fc.weight", [1024, 4096]);
            yield return (p + "mlp.c_fc.bias", [4096]);
            yield return (p + "mlp.c_proj.weight", [4096, 1024]);
            yield return (p + "mlp.c_proj.bias", [1024]);
        }
        yield return ("transformer.ln_f.weight", [1024]);
        yield return ("transformer.ln_f.bias", [1024]);
    }

    public static string DefaultPath =>
        Path.Combine(Environment.GetEnvironmentVariable("ARRAKIS_BENCH_DIR") ?? Path.GetTempPath(), "arrakis-bench-checkpoint.safetensors");

    /// <summary>Writes the checkpoint once (tensors one at a time would not fit the writer's API, so all at once: ~0.5 GB).</summary>
    public static string Ensure(string? path = null)
    {
        path ??= DefaultPath;
        long expected = Layout().Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b) * 4);
        if (File.Exists(path) && new FileInfo(path).Length > expected)
        {
            try
            {
                using var existing = SafetensorsFile.Open(path);
                if (existing.Tensors.Count == Layout().Count())
                    return path;
            }
            catch (CheckpointFormatException) { }
        }
        using var scope = NewDisposeScope();
        manual_seed(0);
        var tensors = Layout().Select(t => new KeyValuePair<string, Tensor>(t.Name, randn(t.Shape))).ToList();
        SafetensorsWriter.Save(path, tensors);
        return path;
    }

    public static long CatLikeRead(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var buffer = new byte[128 * 1024];
        long total = 0, n;
        while ((n = RandomAccess.Read(handle, buffer, total)) > 0)
            total += n;
        return total;
    }

    public static unsafe long ReadIntoFreshMemory(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        byte* memory = (byte*)NativeMemory.Alloc((nuint)length);
        try
        {
            long total = 0;
            while (total < length)
            {
                int chunk = (int)Math.Min(1 << 30, length - total);
                int n = RandomAccess.Read(handle, new Span<byte>(memory + total, chunk), total);
                if (n <= 0)
                    break;
                total += n;
            }
            return total;
        }
        finally
        {
            NativeMemory.Free(memory);
        }
    }

    /// <summary>Opens the file and loads every tensor, keeping all of them until the end, as a model load does.</summary>
    public static long LoadAll(string path, bool memoryMap = false)
    {
        using var file = SafetensorsFile.Open(path, memoryMap);
        var tensors = file.LoadAll();
        long bytes = tensors.Values.Sum(t => t.numel() * t.element_size());
        foreach (var t in tensors.Values)
            t.Dispose();
        return bytes;
    }

    /// <summary>
    /// Loads every tensor, then sums each one (reading every byte once, as a first forward pass would), keeping all of
    /// them until the end: the time to the first full use of the weights.
    /// </summary>
    public static double LoadAllThenSum(string path, bool memoryMap)
    {
        using var file = SafetensorsFile.Open(path, memoryMap);
        var tensors = file.LoadAll();
        double total = 0;
        foreach (var t in tensors.Values)
        {
            using var sum = t.sum();
            total += sum.item<float>();
        }
        foreach (var t in tensors.Values)
            t.Dispose();
        return total;
    }
}
