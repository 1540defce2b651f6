using Arrakis.Bench;
using Arrakis.Tools;
using static TorchSharp.torch;

namespace Arrakis.Experiments;

/// <summary>
/// The C# twins of the Arrakis seed examples (000 residual decomposer, 002 logit attribution, 003 attention head
/// composition), plus a hypothesis test, on the built-in tools. Tools, parameter types and hypothesis functions are
/// checked by the compiler.
/// </summary>
public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools, Action<string>? warn = null)
    : InterpretabilityBench(model, saveDir, tools, warn)
{
    /// <summary>Token ids used by the composition experiment, like the seed's module-level <c>input_ids</c> [1, pos].</summary>
    public Tensor InputIds { get; set; } = TinyModel.Tokens();

    /// <summary>Seed 000: the residual stream entering a layer, decomposed into its components.</summary>
    [UseTools("decomposer"), LogExperiment]
    public ResidualDecompositionResult TestResidualDecomposer(Tensor inputIds, int layerIdx, IResidualDecomposer decomposer)
    {
        var rd = decomposer.DecomposeResidual(inputIds, layerIdx);
        return rd;
    }

    /// <summary>Seed 002: how a target token's logit is built up, directly and layer by layer.</summary>
    [UseTools("logit"), LogExperiment]
    public Dictionary<string, object> TestLogitAttributor(Tensor inputIds, int targetIdx, int nLayers, ILogitAttributor logit)
    {
        var directMoves = logit.TrackTokenCirculation(inputIds, targetIdx, nLayers);
        var logitAttribution = logit.LogitAttribution(inputIds, targetIdx);
        return new()
        {
            ["direct_moves"] = directMoves,
            ["logit_attribution"] = logitAttribution,
        };
    }

    /// <summary>Seed 003: composition of two heads, by weights and by path patching.</summary>
    [UseTools("composer"), LogExperiment]
    public Dictionary<string, object> TestAttentionComposer(HeadIndex head1, HeadIndex head2, double alpha, IAttentionComposer composer)
    {
        var hc = composer.HeadComposition(head1, head2, alpha);
        var app = composer.AttentionPathPatching(InputIds, head1, head2);
        return new()
        {
            ["head_composition"] = hc,
            ["attention_path_patching"] = app,
        };
    }

    /// <summary>Does layer 1's residual stream carry the target token's logit more than a random token's?</summary>
    [UseTools("logit"), LogExperiment, TestHypothesis(nameof(RandomTokenLogit), nameof(TargetTokenLogit), Samples = 30, Alpha = 0.05)]
    public double TargetLogit(int targetToken, ILogitAttributor logit) =>
        logit.TrackTokenCirculation(InputIds, targetToken, nLayers: 2).Steps[^1].LensLogit;

    /// <summary>Where a forward pass spends its time and activation memory, per layer and per component.</summary>
    [UseTools("decomposer"), ProfileModel(Granularity.Layer | Granularity.Component)]
    public int ProfileForward(Tensor inputIds, IResidualDecomposer decomposer)
    {
        using var rd = decomposer.DecomposeResidual(inputIds, 1);
        return rd.Components.Count;
    }

    private readonly Random _sampler = new(7);

    private double RandomTokenLogit(int targetToken, ILogitAttributor logit) =>
        logit.TrackTokenCirculation(TinyModel.Tokens(seed: _sampler.Next()), _sampler.Next(TinyModel.Vocab), nLayers: 2).Steps[^1].LensLogit;

    private double TargetTokenLogit(int targetToken, ILogitAttributor logit) =>
        logit.TrackTokenCirculation(TinyModel.Tokens(seed: _sampler.Next()), targetToken, nLayers: 2).Steps[^1].LensLogit;
}
