using Arrakis.Facts;
using Arrakis.Training.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// A full causal-tracing grid of one fact of the zoo's gpt2-mini-language (4 layers × 7 positions × residual, MLP and
/// attention states, 10 noise samples, no direct effects: 84 restorations of 10 batch rows each): restorations stacked as
/// batch rows (the default, within a 256 MiB budget) against one restoration per forward pass
/// (<c>MaxRestorationsPerPass = 1</c>). The two give the same grid (tests/Arrakis.Tools.Tests/CausalTests.cs).
/// </summary>
/// <remarks>dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*CausalTracing*'</remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class CausalTracingBenchmark
{
    private HookedTransformer _model = null!;
    private SubjectPrompt _prompt = null!;
    private long _target;

    [GlobalSetup]
    public void Setup()
    {
        _model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var fact = LanguageWorld.Default.Facts[0];
        _prompt = SubjectPrompt.Find(_model, fact.Prompt, fact.Entity);
        _target = _model.ToSingleToken(fact.Answer);
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();

    [Benchmark(Baseline = true, Description = "one restoration per forward")]
    public double OnePerForward() => Grid(1);

    [Benchmark(Description = "restorations batched as rows")]
    public double Batched() => Grid(null);

    private double Grid(int? perPass)
    {
        using var scope = NewDisposeScope();
        var trace = CausalTracing.Trace(_model, _prompt.Tokens, _prompt.Start, _prompt.End, _target,
            new CausalTraceOptions { DirectEffect = false, MaxRestorationsPerPass = perPass });
        return trace.Grids.Sum(g => g.Restored.Sum(r => r.Sum()));
    }
}
