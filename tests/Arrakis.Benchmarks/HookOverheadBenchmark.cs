using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// Issue targets: a forward through empty hook points ≤ 1.05× the plain forward; a full-cache forward ≤ 1.3×.
/// GPT-2-small shape (12 layers, d_model 768, 12 heads, d_mlp 3072, d_vocab 50257), batch 4 × 256 = 1,024 tokens.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 6)]
[MemoryDiagnoser]
public class HookOverheadBenchmark
{
    private HookedTransformer _model = null!;
    private Tensor _tokens = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Environment.ProcessorCount);
        var cfg = HookedAutoConfig.Create("gpt2", hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, maxPositionEmbeddings: 1024, seed: 0);
        _model = new HookedTransformer(cfg);
        _tokens = randint(0, cfg.DVocab, [4, 256], generator: new Generator(1));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tokens.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, Description = "plain ops, no hook points")]
    public float Plain()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return PlainGpt2Forward.Logits(_model, _tokens)[0, 0, 0].item<float>();
    }

    [Benchmark(Description = "HookedTransformer.Forward, no hooks attached")]
    public float HookPointsNoHooks()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return _model.Forward(_tokens)[0, 0, 0].item<float>();
    }

    [Benchmark(Description = "RunWithCache, every hook point cached")]
    public float FullCache()
    {
        var (logits, cache) = _model.RunWithCache(_tokens);
        using (cache)
        using (logits)
            return logits[0, 0, 0].item<float>();
    }
}
