using Arrakis.Bench;
using Arrakis.Tools;
using static TorchSharp.torch;

namespace Arrakis.Experiments;

/// <summary>The seed examples, called as Arrakis calls them: without the tool arguments.</summary>
public sealed class SeedExperimentTests : IDisposable
{
    private readonly ExperimentFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void ResidualDecomposer_ComponentsSumToTheResidualStream()
    {
        Tensor inputIds = TinyModel.Tokens();

        using var rd = _f.Experiment.TestResidualDecomposer(inputIds, 1);

        Assert.Equal(["L0H0", "L0H1", "L0H2", "L0H3", "0_mlp_out", "embed", "pos_embed", "bias"], rd.Components.Select(c => c.Label));
        Assert.Equal(8, rd.Top.Count);   // the seed's top_k = 10, capped at the 8 components
        var (logits, cache) = _f.Model.RunWithCache(inputIds);
        using (cache)
        {
            Assert.True(rd.Vectors.sum(0L).allclose(cache["blocks.1.hook_resid_pre"][0, -1], rtol: 1e-4, atol: 1e-5));
        }
        ExperimentRecord run = Assert.Single(_f.Experiment.Store.ReadRuns("TestResidualDecomposer"));
        Assert.Equal(8, run.Result!["components"]!.AsArray().Count);
        Assert.Equal([8, 32], run.Result["Vectors"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));
        Assert.Equal(("Arrakis.Tools.Decomposer.ResidualDecomposer", "Arrakis.Tools.Decomposer"),
            (Assert.Single(run.Tools).Implementation, run.Tools[0].Assembly));
    }

    [Fact]
    public void LogitAttributor_IsRecordedWithItsCodeVersionArgumentsAndTool()
    {
        var result = _f.Experiment.TestLogitAttributor(TinyModel.Tokens(), 3, 2);

        var directMoves = Assert.IsType<TokenCirculationResult>(result["direct_moves"]);
        var attribution = Assert.IsType<LogitAttributionResult>(result["logit_attribution"]);
        Assert.Equal(2, directMoves.Steps.Count);
        Assert.Equal(attribution.Logit, directMoves.Steps[^1].LensLogit, 4);
        ExperimentRecord run = Assert.Single(_f.Experiment.Store.ReadRuns("TestLogitAttributor"));
        Assert.Equal("ok", run.Status);
        Assert.Matches("^[0-9a-f]{12}$", run.CodeVersion);
        Assert.Equal("Experiments/MIExperiment.cs", run.SourcePath);
        Assert.Equal([1, 12], run.Arguments!["inputIds"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));
        Assert.Equal(3, (int)run.Arguments["targetIdx"]!);
        Assert.Equal(2, run.Result!["direct_moves"]!["steps"]!.AsArray().Count);
        Assert.Equal(attribution.Components.Count, run.Result["logit_attribution"]!["components"]!.AsArray().Count);
        ToolRecord tool = Assert.Single(run.Tools);
        Assert.Equal(("logit", "Arrakis.Tools.Logit.LogitAttributor", "Arrakis.Tools.Logit"), (tool.Name, tool.Implementation, tool.Assembly));
        Assert.Equal("gpt2", run.Model!.Name);
        Assert.Matches("^[0-9a-f]{64}$", run.Model.WeightsHash);

        ExperimentVersion version = _f.Experiment.GetVersion("TestLogitAttributor", run.CodeVersion)!;
        Assert.StartsWith("/// <summary>Seed 002:", version.Source);
        Assert.Contains("public Dictionary<string, object> TestLogitAttributor(Tensor inputIds, int targetIdx, int nLayers, ILogitAttributor logit)", version.Source);
    }

    [Fact]
    public void AttentionComposer_ScoresAndPatchesHeads()
    {
        // The seed calls test_attention_composer((0, 0), (0, 1), 0.5): two heads of the same layer, which cannot compose
        // (a head reads only what earlier layers wrote), so the twin asks about a writer in layer 0 and a reader in layer 1.
        var result = _f.Experiment.TestAttentionComposer((0, 0), (1, 1), 0.5);

        using var hc = Assert.IsType<HeadCompositionResult>(result["head_composition"]);
        var app = Assert.IsType<AttentionPathPatchingResult>(result["attention_path_patching"]);
        Assert.Equal((new HeadIndex(0, 0), new HeadIndex(1, 1)), (hc.Writer, hc.Reader));
        Assert.All([hc.QComposition, hc.KComposition, hc.VComposition], s => Assert.InRange(s, 0, 1));
        Assert.Equal(0.5, hc.MergedHeadWeights.Alpha);
        Assert.Equal(("mean-ablation", PathInput.All), (app.Corruption, app.Through));
        Assert.NotEqual(app.Clean, app.Corrupted);   // mean-ablating a layer-0 head changes the next-token log-probabilities
        ExperimentRecord run = Assert.Single(_f.Experiment.Store.ReadRuns("TestAttentionComposer"));
        Assert.Equal(hc.KComposition, (double)run.Result!["head_composition"]!["kComposition"]!, 6);
        Assert.Equal([32, 8], run.Result["head_composition"]!["mergedHeadWeights"]!["W_Q"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));

        // The seed's own pair is refused, naming both heads; the failed run is recorded.
        var e = Assert.Throws<ArgumentException>(() => _f.Experiment.TestAttentionComposer((0, 0), (0, 1), 0.5));
        Assert.Contains("head1 L0H0 cannot compose into head2 L0H1", e.Message);
        Assert.Equal("failed", _f.Experiment.Store.ReadRuns("TestAttentionComposer")[^1].Status);
    }

    [Fact]
    public void Tools_AreResolvedOnEveryCall_SoAReplacedToolIsUsed()
    {
        using var first = _f.Experiment.TestResidualDecomposer(TinyModel.Tokens(), 1);
        _f.Registry.Set("decomposer", new FixedDecomposer());

        using var second = _f.Experiment.TestResidualDecomposer(TinyModel.Tokens(), 1);

        Assert.Equal(8, first.Components.Count);
        Assert.Equal(["fixed"], second.Components.Select(c => c.Label));
    }

    [Fact]
    public void Hypothesis_IsTestedAndAttachedToTheRecord()
    {
        _f.Experiment.TargetLogit(5);

        HypothesisResult h = _f.Experiment.LastRun!.Hypothesis!;
        Assert.Equal(("RandomTokenLogit", "TargetTokenLogit", 30, 0.05), (h.NullFunction, h.AlternativeFunction, h.Samples, h.Alpha));
        Assert.InRange(h.P, 0, 1);
        Assert.Equal(h.P < h.Alpha, h.RejectNull);
        Assert.Equal(h, Assert.Single(_f.Experiment.Store.ReadRuns("TargetLogit")).Hypothesis);
    }

    [Fact]
    public void ProfileModel_MeasuresEveryLayerAndComponentThroughHookPoints()
    {
        Tensor inputIds = TinyModel.Tokens();

        Assert.Equal(8, _f.Experiment.ProfileForward(inputIds));

        ModelProfile profile = _f.Experiment.LastRun!.Profile!;
        Assert.Equal(["blocks.0", "blocks.1", "blocks.0.attn", "blocks.0.mlp", "blocks.1.attn", "blocks.1.mlp"], profile.Units.Select(u => u.Name));
        Assert.All(profile.Units, u => Assert.Equal(1, u.Passes));
        Assert.All(profile.Units, u => Assert.True(u.WallMs > 0 && u.ActivationBytes > 0, u.Name));
        Assert.Equal(1, profile.Units.Take(2).Sum(u => u.TimeFraction), 9);
        Assert.Equal(1, profile.Units.Skip(2).Sum(u => u.MemoryFraction), 9);
        // A layer's hook points include its components' (and its residual stream's), so it holds more bytes.
        Assert.True(profile.Units[0].ActivationBytes > profile.Units[2].ActivationBytes + profile.Units[3].ActivationBytes);
        // resid_pre [1, 12, 32] float32 is one of layer 0's activations.
        Assert.True(profile.Units[0].ActivationBytes >= 12 * 32 * 4);
        Assert.False(_f.Model.GetHookPoint("blocks.0.hook_resid_pre").HasHooks, "the profiler's hooks are detached after the run");
    }

    private sealed class FixedDecomposer : IResidualDecomposer
    {
        public MlpBasisResult MlpBasis(int layerIdx) => throw new NotSupportedException();

        public ResidualDecompositionResult DecomposeResidual(Tensor inputIds, int layerIdx, int topK = 10, bool afterLayer = false, bool perNeuron = false,
            int position = -1, Tensor? direction = null, int batchIndex = 0)
        {
            var fixedComponent = new ResidualComponent("fixed", 0, null);
            return new ResidualDecompositionResult(layerIdx, afterLayer, "fixed", 0, 0, "norm", [fixedComponent], [fixedComponent], 0, zeros(1, 32));
        }
    }
}
