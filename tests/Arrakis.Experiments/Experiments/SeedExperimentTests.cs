using Arrakis.Bench;
using Arrakis.Experiments.Tools;
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

        var rd = _f.Experiment.TestResidualDecomposer(inputIds, 1);

        Assert.Equal(["embed", "pos_embed", "0_attn_out", "0_mlp_out"], rd.Keys);
        var (logits, cache) = _f.Model.RunWithCache(inputIds);
        using (cache)
        {
            Tensor sum = rd.Values.Aggregate((a, b) => a + b);
            Assert.True(sum.allclose(cache["blocks.1.hook_resid_pre"], rtol: 1e-4, atol: 1e-5));
        }
    }

    [Fact]
    public void LogitAttributor_IsRecordedWithItsCodeVersionArgumentsAndTool()
    {
        var result = _f.Experiment.TestLogitAttributor(TinyModel.Tokens(), 3, 2);

        Assert.Equal(2, ((IReadOnlyList<double>)result["direct_moves"]).Count);
        ExperimentRecord run = Assert.Single(_f.Experiment.Store.ReadRuns("TestLogitAttributor"));
        Assert.Equal("ok", run.Status);
        Assert.Matches("^[0-9a-f]{12}$", run.CodeVersion);
        Assert.Equal("Experiments/MIExperiment.cs", run.SourcePath);
        Assert.Equal([1, 12], run.Arguments!["inputIds"]!["$tensor"]!["shape"]!.AsArray().Select(n => (int)n!));
        Assert.Equal(3, (int)run.Arguments["targetIdx"]!);
        Assert.Equal(2, run.Result!["direct_moves"]!.AsArray().Count);
        ToolRecord tool = Assert.Single(run.Tools);
        Assert.Equal(("logit", typeof(LogitAttributor).FullName), (tool.Name, tool.Implementation));
        Assert.Equal("gpt2", run.Model!.Name);
        Assert.Matches("^[0-9a-f]{64}$", run.Model.WeightsHash);

        ExperimentVersion version = _f.Experiment.GetVersion("TestLogitAttributor", run.CodeVersion)!;
        Assert.StartsWith("/// <summary>Seed 002:", version.Source);
        Assert.Contains("public Dictionary<string, object> TestLogitAttributor(Tensor inputIds, int targetIdx, int nLayers, ILogitAttributor logit)", version.Source);
    }

    [Fact]
    public void AttentionComposer_ScoresAndPatchesHeads()
    {
        var result = _f.Experiment.TestAttentionComposer((0, 0), (1, 1), 0.5);

        Assert.InRange(result["head_composition"], 0, 1);
        Assert.True(result["attention_path_patching"] > 0, "zero-ablating a layer-0 head changes a layer-1 pattern");
        Assert.Equal(0, _f.Experiment.TestAttentionComposer((1, 1), (0, 0), 0.5)["attention_path_patching"]); // a later head cannot affect an earlier one
    }

    [Fact]
    public void Tools_AreResolvedOnEveryCall_SoAReplacedToolIsUsed()
    {
        var first = _f.Experiment.TestResidualDecomposer(TinyModel.Tokens(), 1);
        _f.Registry.Set("decomposer", new FixedDecomposer());

        var second = _f.Experiment.TestResidualDecomposer(TinyModel.Tokens(), 1);

        Assert.Equal(4, first.Count);
        Assert.Equal(["fixed"], second.Keys);
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

        Assert.Equal(4, _f.Experiment.ProfileForward(inputIds));

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
        public IReadOnlyDictionary<string, Tensor> DecomposeResidual(Tensor inputIds, int layerIdx) => new Dictionary<string, Tensor> { ["fixed"] = zeros(1) };

        public IReadOnlyList<string> TopComponents(Tensor inputIds, int layerIdx, int topK = 10) => ["fixed"];
    }
}
