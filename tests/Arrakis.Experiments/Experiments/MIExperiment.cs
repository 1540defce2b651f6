using Arrakis.Bench;
using Arrakis.Tools;
using Arrakis.Training;
using Arrakis.Training.Tasks;
using static TorchSharp.torch;

namespace Arrakis.Experiments;

/// <summary>
/// The C# twins of the Arrakis seed examples (000 residual decomposer, 002 logit attribution, 003 attention head
/// composition), plus a hypothesis test, on the built-in tools. Tools, parameter types and hypothesis functions are
/// checked by the compiler. The tests run them on the shipped models (<c>HookedTransformer.FromPretrained</c>).
/// </summary>
public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools, Action<string>? warn = null)
    : InterpretabilityBench(model, saveDir, tools, warn)
{
    /// <summary>
    /// The induction probe (TransformerLens <c>generate_repeated_tokens</c>) over the induction models' 298 words:
    /// <c>&lt;|endoftext|&gt;</c>, <paramref name="half"/> random words, the same words again. int64 [batch, 1 + 2·half].
    /// </summary>
    public static Tensor RepeatedTokens(long seed, int batch = 1, int half = 20) =>
        InductionTask.RepeatedSequences(new SeededRandom(seed, 0xE8), batch, half);

    /// <summary>Token ids used by the composition experiment, like the seed's module-level <c>input_ids</c> [batch, pos].</summary>
    public Tensor InputIds { get; set; } = RepeatedTokens(seed: 3, batch: 8);

    /// <summary>Seeds the hypothesis test's sampler (each sample draws a fresh repeated sequence from it).</summary>
    public long SampleSeed { init => _sampler = new SeededRandom(value, 0x5A); }

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

    /// <summary>
    /// Does the model predict the token that followed the current one the last time it occurred? One sample: the logit of
    /// that token minus the logit of another word seen earlier in the same sequence, at the end of a repeated sequence.
    /// The hypothesis test compares the two logits over fresh sequences.
    /// </summary>
    [UseTools("logit"), LogExperiment, TestHypothesis(nameof(SeenTokenLogit), nameof(RepeatedTokenLogit), Samples = 30, Alpha = 0.05)]
    public double RepeatedTokenLead(int halfLength, ILogitAttributor logit)
    {
        var (tokens, repeated, seen) = DrawRepeat(halfLength);
        using (tokens) return logit.LogitAttribution(tokens, repeated).Logit - logit.LogitAttribution(tokens, seen).Logit;
    }

    /// <summary>The MLP read and write directions of a layer (seed 000's <c>mlp_basis</c>).</summary>
    [UseTools("decomposer"), LogExperiment]
    public MlpBasisResult TestMlpBasis(int layerIdx, IResidualDecomposer decomposer) => decomposer.MlpBasis(layerIdx);

    /// <summary>Where a forward pass spends its time and activation memory, per layer and per component.</summary>
    [UseTools("decomposer"), ProfileModel(Granularity.Layer | Granularity.Component)]
    public int ProfileForward(Tensor inputIds, IResidualDecomposer decomposer)
    {
        using var rd = decomposer.DecomposeResidual(inputIds, Model.Cfg.NLayers - 1);
        return rd.Components.Count;
    }

    private SeededRandom _sampler = new(0, 0x5A);

    /// <summary>Null: the logit of a word seen earlier in the sequence, but not the one that followed the current word.</summary>
    private double SeenTokenLogit(int halfLength, ILogitAttributor logit)
    {
        var (tokens, _, seen) = DrawRepeat(halfLength);
        using (tokens) return logit.LogitAttribution(tokens, seen).Logit;
    }

    /// <summary>Alternative: the logit of the word that followed the current word at its earlier occurrence.</summary>
    private double RepeatedTokenLogit(int halfLength, ILogitAttributor logit)
    {
        var (tokens, repeated, _) = DrawRepeat(halfLength);
        using (tokens) return logit.LogitAttribution(tokens, repeated).Logit;
    }

    /// <summary>
    /// A fresh repeated sequence x₁…x_L x₁…x_L [1, 1 + 2L]; at its last position (x_L) induction predicts x₁; <c>seen</c> is
    /// a word x_k (k ≥ 2) of the same sequence that differs from x₁: as familiar to the model, but not what follows.
    /// </summary>
    private (Tensor Tokens, long Repeated, long Seen) DrawRepeat(int halfLength)
    {
        Tensor tokens = InductionTask.RepeatedSequences(_sampler, 1, halfLength);
        long[] ids = tokens[0].data<long>().ToArray();
        long repeated = ids[1];
        long seen;
        do seen = ids[2 + _sampler.Next(halfLength - 1)];
        while (seen == repeated);
        return (tokens, repeated, seen);
    }
}
