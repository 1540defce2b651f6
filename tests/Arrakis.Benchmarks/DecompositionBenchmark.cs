using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// <c>GetFullResidDecomposition(expandNeurons: true, applyLn: true, projectOutputOnto: direction)</c> on a GPT-2-small-shaped
/// random model, 128 tokens: 12·12 heads + 12·3072 neurons + 3 = 37,011 components. The baseline is the forward pass
/// that fills the cache, so the ratio says what the decomposition costs relative to running the model.
/// Memory: <c>-- decomposition-memory</c> prints the result size and the peak RSS growth of one decomposition.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 8)]
public class DecompositionBenchmark
{
    private HookedTransformer _model = null!;
    private Tensor _tokens = null!;
    private Tensor _direction = null!;
    private ActivationCache _cache = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_model, _tokens, _direction) = DecompositionFixture.Create();
        (_, _cache) = _model.RunWithCache(_tokens);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, Description = "RunWithCache (the forward that fills the cache)")]
    public long Forward()
    {
        var (logits, cache) = _model.RunWithCache(_tokens);
        using (logits)
        using (cache)
            return cache.Count;
    }

    [Benchmark(Description = "GetFullResidDecomposition, neurons expanded, frozen LN, projected on a direction")]
    public long ProjectedDecomposition()
    {
        using var scope = NewDisposeScope();
        using var result = _cache.GetFullResidDecomposition(expandNeurons: true, applyLn: true, projectOutputOnto: _direction);
        return result.Stack.shape[0];
    }
}

/// <summary>The shared model, tokens and direction of the decomposition measurements.</summary>
internal static class DecompositionFixture
{
    public static (HookedTransformer Model, Tensor Tokens, Tensor Direction) Create()
    {
        var cfg = HookedAutoConfig.Create("gpt2", hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, maxPositionEmbeddings: 1024, seed: 0);
        var model = new HookedTransformer(cfg);
        var tokens = randint(0, cfg.DVocab, [1, 128], generator: new Generator(2));
        var direction = model.TokensToResidualDirections(tensor(42L));
        return (model, tokens, direction);
    }

    /// <summary>Prints the result's bytes and the peak RSS growth (VmHWM, reset through /proc/self/clear_refs) of one call.</summary>
    public static int MeasureMemory()
    {
        var (model, tokens, direction) = Create();
        var (logits, cache) = model.RunWithCache(tokens);
        using (logits)
        using (cache)
        {
            GC.Collect();
            File.WriteAllText("/proc/self/clear_refs", "5");  // reset the peak to the current RSS
            long before = ReadKilobytes("VmRSS") * 1024;
            var clock = Stopwatch.StartNew();
            using var result = cache.GetFullResidDecomposition(expandNeurons: true, applyLn: true, projectOutputOnto: direction);
            clock.Stop();
            long peak = ReadKilobytes("VmHWM") * 1024;
            long components = result.Stack.shape[0], positions = result.Stack.shape[2];
            long resultBytes = result.Stack.NumberOfElements * result.Stack.ElementSize;
            long wouldBe = components * positions * model.Cfg.DModel * 4;
            Console.WriteLine($"components {components}, positions {positions}, result {resultBytes / 1e6:F2} MB, " +
                              $"peak RSS growth {(peak - before) / 1e6:F1} MB, time {clock.ElapsedMilliseconds} ms; " +
                              $"an unprojected stack would be {wouldBe / 1e9:F1} GB");
        }
        model.Dispose();
        return 0;
    }

    private static long ReadKilobytes(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
