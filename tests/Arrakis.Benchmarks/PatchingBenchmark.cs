using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// Exact patching of every head's output at every position (TL <c>get_act_patch_attn_head_out_by_pos</c>), batched under
/// the default 256 MiB budget against one patch per forward pass (TL's loop), on the zoo models. See <see cref="PatchingWorkload"/>.
/// </summary>
/// <remarks>dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*PatchingBenchmark*'; interleaved: <c>-- patching [rounds]</c>.</remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class PatchingBenchmark
{
    private PatchingWorkload _work = null!;

    [Params("gpt2-mini-language", "attn-only-2l")]
    public string ModelName { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _work = PatchingWorkload.Create(ModelName);

    [GlobalCleanup]
    public void Cleanup() => _work.Dispose();

    [Benchmark(Baseline = true, Description = "heads × positions, one patch per forward pass")]
    public float OnePatchPerForward() => HeadsByPosition(PatchingOptions.OnePatchPerForward);

    [Benchmark(Description = "heads × positions, batched (256 MiB budget)")]
    public float Batched() => HeadsByPosition(PatchingOptions.Default);

    private float HeadsByPosition(PatchingOptions options)
    {
        using var scope = NewDisposeScope();
        using var result = ActivationPatching.GetActPatchAttnHeadOutByPos(_work.Model, _work.Clean, _work.Corrupted, _work.Metric, options: options);
        return result.Values.sum().item<float>();
    }
}

/// <summary>
/// AtP of every head's output (2 forward + 1 backward passes) against exhaustive patching of every head (batched, 2 + one
/// pass per layer's worth of variants; one patch per head per pass in the looped baseline), and EAP over the whole graph.
/// </summary>
/// <remarks>dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*AttributionBenchmark*'</remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class AttributionBenchmark
{
    private PatchingWorkload _work = null!;

    [GlobalSetup]
    public void Setup() => _work = PatchingWorkload.Create("gpt2-mini-language");

    [GlobalCleanup]
    public void Cleanup() => _work.Dispose();

    [Benchmark(Baseline = true, Description = "exhaustive: every head (all positions), one patch per forward")]
    public float ExhaustiveLooped() => Exhaustive(PatchingOptions.OnePatchPerForward);

    [Benchmark(Description = "exhaustive: every head (all positions), batched")]
    public float ExhaustiveBatched() => Exhaustive(PatchingOptions.Default);

    [Benchmark(Description = "AtP: every head, 2 forward + 1 backward")]
    public float AtP()
    {
        using var scope = NewDisposeScope();
        using var result = AttributionPatching.Run(_work.Model, _work.Clean, _work.Corrupted, _work.Metric, "z", [PatchAxis.Layer, PatchAxis.Head]);
        return result.Values.sum().item<float>();
    }

    [Benchmark(Description = "EAP: every edge, 2 forward + 1 backward")]
    public double Eap()
    {
        using var scope = NewDisposeScope();
        return EdgeAttributionPatching.Run(_work.Model, _work.Clean, _work.Corrupted, _work.Metric).Edges.Count;
    }

    private float Exhaustive(PatchingOptions options)
    {
        using var scope = NewDisposeScope();
        using var result = ActivationPatching.GetActPatchAttnHeadOutAllPos(_work.Model, _work.Clean, _work.Corrupted, _work.Metric, options: options);
        return result.Values.sum().item<float>();
    }
}
