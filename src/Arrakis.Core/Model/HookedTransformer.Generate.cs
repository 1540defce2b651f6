using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>
    /// Next-token cross-entropy (TL <c>loss_fn</c>): −log p(token[t+1] | tokens[≤t]). Positions whose target is padding
    /// (per <paramref name="attentionMask"/>) are left out of the mean.
    /// </summary>
    /// <param name="tokens">int64 [batch, pos], pos ≥ 2.</param>
    /// <param name="perToken">Return [batch, pos−1] instead of the mean.</param>
    /// <param name="attentionMask">[batch, pos], 1 for tokens, 0 for padding.</param>
    public Tensor Loss(Tensor tokens, bool perToken = false, Tensor? attentionMask = null)
    {
        var ids = InputValidation.Tokens(tokens, Cfg, nameof(tokens));
        if (ids.shape[1] < 2)
            throw new ArgumentException($"{nameof(tokens)} has {ids.shape[1]} position(s); the loss needs at least 2.", nameof(tokens));
        using var scope = NewDisposeScope();
        var logits = Forward(ids, attentionMask: attentionMask);
        var logProbs = logits[.., ..^1].log_softmax(-1);
        var targets = ids[.., 1..].unsqueeze(-1);
        var losses = -logProbs.gather(-1, targets).squeeze(-1);  // [batch, pos-1]
        if (perToken)
            return losses.MoveToOuterDisposeScope();
        if (attentionMask is null)
            return losses.mean().MoveToOuterDisposeScope();
        var valid = attentionMask.to(losses.dtype, losses.device)[.., 1..] * attentionMask.to(losses.dtype, losses.device)[.., ..^1];
        return ((losses * valid).sum() / valid.sum().clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Samples continuations with a key/value cache (TL <c>generate</c>): each step feeds only the new token.
    /// <paramref name="temperature"/> 0 is greedy; otherwise logits / temperature, optionally restricted to the
    /// <paramref name="topK"/> most likely tokens and to the smallest set with probability ≥ <paramref name="topP"/>.
    /// </summary>
    /// <returns>int64 [batch, pos + maxNewTokens]: the prompt followed by the new tokens.</returns>
    public Tensor Generate(Tensor tokens, int maxNewTokens, double temperature = 1.0, int? topK = null, double? topP = null,
        long? seed = null, bool useCache = true)
    {
        var prompt = InputValidation.Tokens(tokens, Cfg, nameof(tokens));
        if (maxNewTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, "expected 0 or more.");
        if (temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "expected 0 (greedy) or a positive temperature.");
        if (topK is <= 0)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "expected a positive count.");
        if (topP is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(topP), topP, "expected a probability in (0, 1].");
        var generator = seed is { } s ? new Generator((ulong)s) : null;
        using var noGrad = no_grad();
        using var cache = useCache ? new KeyValueCache(Cfg.NLayers) : null;
        var sequence = prompt.alias().DetachFromDisposeScope();
        var next = prompt;
        for (int step = 0; step < maxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var logits = Forward(useCache ? next : sequence, cache: cache)[.., -1];  // [batch, d_vocab]
            var chosen = Sample(logits, temperature, topK, topP, generator).unsqueeze(1);  // [batch, 1]
            var extended = cat([sequence, chosen], 1).DetachFromDisposeScope();
            sequence.Dispose();
            sequence = extended;
            next = chosen.MoveToOuterDisposeScope();
        }
        return sequence;
    }

    private static Tensor Sample(Tensor logits, double temperature, int? topK, double? topP, Generator? generator)
    {
        if (temperature == 0)
            return logits.argmax(-1);
        logits = logits.to(float32) / temperature;
        if (topK is { } k && k < logits.shape[1])
        {
            var kth = logits.topk(k, -1).values[.., ^1..];
            logits = logits.masked_fill(logits < kth, double.NegativeInfinity);
        }
        if (topP is { } p && p < 1)
        {
            var (sorted, order) = logits.sort(-1, descending: true);
            var cumulative = sorted.softmax(-1).cumsum(-1);
            var drop = (cumulative - sorted.softmax(-1)) >= p;  // keep the smallest prefix reaching p
            var dropOriginal = zeros_like(drop, dtype: int64).scatter(-1, order, drop.to(int64)).to(ScalarType.Bool);
            logits = logits.masked_fill(dropOriginal, double.NegativeInfinity);
        }
        // A seeded generator is a CPU generator: sample on the CPU with it (the same draws on every device), then return.
        var probabilities = logits.softmax(-1);
        return generator is null
            ? multinomial(probabilities, 1).squeeze(-1)
            : multinomial(probabilities.cpu(), 1, generator: generator).squeeze(-1).to(logits.device);
    }
}
