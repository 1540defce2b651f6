using Arrakis;
using Arrakis.Bench;
using Arrakis.Bench.Tools;
using Arrakis.Tools;
using static TorchSharp.torch;

namespace Outside.Suite;

/// <summary>Experiments on the zoo's attn-only-2l with the built-in tools, compile-time checked by [UseTools].</summary>
public partial class InductionSuite(HookedTransformer model, string saveDir)
    : InterpretabilityBench(model, saveDir, ToolRegistry.WithBuiltInTools())
{
    private readonly Random _random = new(1);

    /// <summary>At the end of a repeated sequence: the logit of the token that followed the current one at its earlier
    /// occurrence, minus the logit of another word of the same sequence.</summary>
    [UseTools("logit"), LogExperiment, TestHypothesis(nameof(SeenLogit), nameof(RepeatedLogit), Samples = 12)]
    public double RepeatedTokenLead(int half, ILogitAttributor logit)
    {
        var (tokens, repeated, seen) = Draw(half);
        using (tokens) return logit.LogitAttribution(tokens, repeated).Logit - logit.LogitAttribution(tokens, seen).Logit;
    }

    /// <summary>How many components the residual stream entering the last layer splits into.</summary>
    [UseTools("decomposer"), LogExperiment]
    public int ComponentCount(Tensor tokens, IResidualDecomposer decomposer)
    {
        using var decomposition = decomposer.DecomposeResidual(tokens, Model.Cfg.NLayers - 1);
        return decomposition.Components.Count;
    }

    private double SeenLogit(int half, ILogitAttributor logit)
    {
        var (tokens, _, seen) = Draw(half);
        using (tokens) return logit.LogitAttribution(tokens, seen).Logit;
    }

    private double RepeatedLogit(int half, ILogitAttributor logit)
    {
        var (tokens, repeated, _) = Draw(half);
        using (tokens) return logit.LogitAttribution(tokens, repeated).Logit;
    }

    /// <summary>&lt;|endoftext|&gt; x₁…x_L x₁…x_L over the model's words (ids 2…); induction predicts x₁ after x_L.</summary>
    internal (Tensor Tokens, long Repeated, long Seen) Draw(int half)
    {
        var ids = new long[1 + 2 * half];
        for (int i = 1; i <= half; i++) ids[i] = ids[i + half] = 2 + _random.Next(Model.Cfg.DVocab - 2);
        long repeated = ids[1], seen;
        do seen = ids[2 + _random.Next(half - 1)];
        while (seen == repeated);
        return (tensor(ids, [1, ids.Length], dtype: int64), repeated, seen);
    }
}
