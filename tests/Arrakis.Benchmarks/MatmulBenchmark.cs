using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>Square float32 matmul on the CPU; the baseline for the native runtime's health.</summary>
[MemoryDiagnoser]
public class MatmulBenchmark
{
    private Tensor _a = null!;
    private Tensor _b = null!;

    [Params(256, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        _a = randn(Size, Size);
        _b = randn(Size, Size);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float Matmul()
    {
        using var scope = NewDisposeScope();
        return _a.matmul(_b)[0, 0].item<float>();
    }
}
