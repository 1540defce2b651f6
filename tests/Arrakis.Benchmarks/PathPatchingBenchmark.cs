using Arrakis.Bench.Plugins;
using Arrakis.Tools;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// The composer's <c>AttentionPathPatching</c> for every sender → receiver pair of a 2-layer attention-only model shaped
/// like TransformerLens's attn-only-2l (d_model 512, 8 heads of 64, d_vocab 48,262, LayerNorm, learned positions; random
/// weights), clean input 2 × 32 tokens, mean ablation, all of q/k/v: 8 × 8 = 64 pairs. Batched (the many-pairs overload:
/// up to 16 patched variants stacked along the batch per forward pass — 1 clean pass, 1 sender-ablation pass, 4 patched
/// passes) against one call per pair (3 passes each). Times are per pair (OperationsPerInvoke = 64). The composer is the
/// plugin loaded through the plugin host, bound to the model as a bench binds it.
/// </summary>
/// <remarks>dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*PathPatching*'</remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PathPatchingBenchmark
{
    private const int Pairs = 64;
    private HookedTransformer _model = null!;
    private PluginHost _host = null!;
    private IAttentionComposer _composer = null!;
    private Tensor _tokens = null!;
    private (HeadIndex Sender, HeadIndex Receiver)[] _pairs = null!;

    [GlobalSetup]
    public void Setup()
    {
        var cfg = new HookedTransformerConfig
        {
            NLayers = 2, DModel = 512, NHeads = 8, DHead = 64, DVocab = 48262, NCtx = 2048, AttnOnly = true,
            Normalization = NormalizationType.LayerNorm, Seed = 0, ModelName = "attn-only-2l-shaped",
        };
        _model = new HookedTransformer(cfg);
        _tokens = randint(0, cfg.DVocab, [2, 32], generator: new Generator(3));
        var options = new PluginHostOptions { HotReload = false };
        options.AddFolder(PluginsFolder.Find("Arrakis.Tools.Composer"));
        _host = new PluginHost(options);
        var report = _host.Load();
        var prototype = _host.Registry.Get("composer") as IModelTool ?? throw new InvalidOperationException(report.ToString());
        _composer = (IAttentionComposer)prototype.WithModel(_model);
        _pairs = (from s in Enumerable.Range(0, 8) from r in Enumerable.Range(0, 8) select (new HeadIndex(0, s), new HeadIndex(1, r))).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs, Description = "one AttentionPathPatching call per pair")]
    public double OnePairAtATime()
    {
        double sum = 0;
        foreach (var (sender, receiver) in _pairs)
        {
            using var scope = NewDisposeScope();
            sum += _composer.AttentionPathPatching(_tokens, sender, receiver).Patched;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Pairs, Description = "all pairs batched (16 variants per forward pass)")]
    public double Batched()
    {
        using var scope = NewDisposeScope();
        return _composer.AttentionPathPatching(_tokens, _pairs).Paths.Sum(p => p.Patched);
    }
}

/// <summary>The built-in plugins folder deployed beside this project's output (BenchmarkDotNet runs from a sub-folder of it).</summary>
internal static class PluginsFolder
{
    public static string Find(string plugin)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "plugins");
            if (File.Exists(Path.Combine(candidate, plugin, plugin + ".dll"))) return candidate;
        }
        throw new DirectoryNotFoundException($"no plugins/{plugin} above {AppContext.BaseDirectory}; build tests/Arrakis.Benchmarks first");
    }
}
