using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>One step of <see cref="HookedTransformer.GenerateStream"/>. Owns its tensors and cache: dispose it.</summary>
/// <param name="Step">0 for the first generated token.</param>
/// <param name="Tokens">The tokens chosen at this step, int64 [batch].</param>
/// <param name="Logits">The logits they were sampled from, [batch, d_vocab].</param>
/// <param name="Cache">
/// The activations of this step's forward pass when the stream was asked for them, else null. With the key/value cache
/// (the default) the pass sees only the newest token, so position-wise activations are [batch, 1, …] for the token
/// fed at this step (the prompt at step 0) and attention patterns [batch, head, new positions, all positions so far].
/// </param>
public sealed record GenerationStep(int Step, Tensor Tokens, Tensor Logits, ActivationCache? Cache) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Tokens.Dispose();
        Logits.Dispose();
        Cache?.Dispose();
    }
}

public partial class HookedTransformer
{
    /// <summary>
    /// <see cref="Generate"/> as a stream (TL has no equivalent; its <c>generate</c> returns only tokens): yields each step's
    /// chosen tokens and logits as soon as they are sampled, for the whole batch, and — with
    /// <paramref name="cacheNames"/> — the activations of that step's forward pass, so activations of generated tokens
    /// come with the generation instead of a second pass (TransformerLens issues 697, 1337). The sequence so far is the
    /// prompt followed by every yielded <see cref="GenerationStep.Tokens"/>. Sampling as <see cref="Generate"/>: same
    /// seed, same tokens.
    /// </summary>
    /// <param name="tokens">The prompt, int64 [batch, pos] or [pos].</param>
    /// <param name="maxNewTokens">How many steps, 0 or more.</param>
    /// <param name="temperature">0 is greedy.</param>
    /// <param name="topK">Sample among the k most likely tokens.</param>
    /// <param name="topP">Sample among the smallest set with probability ≥ p.</param>
    /// <param name="seed">The sampling seed.</param>
    /// <param name="cacheNames">Which hook points to cache at every step; null caches nothing.</param>
    /// <remarks>The stream runs lazily, one step per <c>MoveNext</c>; dispose each step when done with it.</remarks>
    public IEnumerable<GenerationStep> GenerateStream(Tensor tokens, int maxNewTokens, double temperature = 1.0, int? topK = null, double? topP = null,
        long? seed = null, Func<string, bool>? cacheNames = null)
    {
        var prompt = InputValidation.Tokens(tokens, Cfg, nameof(tokens));
        if (maxNewTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, $"maxNewTokens is {maxNewTokens}; expected 0 or more.");
        if (temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"temperature is {temperature}; expected 0 (greedy) or a positive temperature.");
        if (topK is <= 0)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"topK is {topK}; expected a positive count.");
        if (topP is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(topP), topP, $"topP is {topP}; expected a probability in (0, 1].");
        return Stream(prompt.alias().DetachFromDisposeScope(), maxNewTokens, temperature, topK, topP, seed, cacheNames);
    }

    private IEnumerable<GenerationStep> Stream(Tensor prompt, int maxNewTokens, double temperature, int? topK, double? topP, long? seed, Func<string, bool>? cacheNames)
    {
        var generator = seed is { } s ? new Generator((ulong)s) : null;
        using var kv = new KeyValueCache(Cfg.NLayers);
        var next = prompt;
        try
        {
            for (int step = 0; step < maxNewTokens; step++)
            {
                GenerationStep result;
                using (no_grad())
                using (var scope = NewDisposeScope())
                {
                    var stored = new List<(string Name, Tensor Tensor)>();
                    var hooks = cacheNames is null ? [] : SelectHookPoints(cacheNames)
                        .Select(p => new Hook(p.Name, (activation, context) => { stored.Add((context.Name, activation.detach().clone().DetachFromDisposeScope())); return null; }))
                        .ToList();
                    Tensor logits;
                    using (Hooks(hooks))
                        logits = Forward(next, cache: kv)[.., -1];                                     // [batch, d_vocab]
                    var chosen = Sample(logits, temperature, topK, topP, generator);                   // [batch]
                    var cache = cacheNames is null ? null : new ActivationCache(this, stored, hasBatchDim: true);
                    result = new GenerationStep(step, chosen.DetachFromDisposeScope(), logits.detach().clone().DetachFromDisposeScope(), cache);
                    var fed = chosen.unsqueeze(1).DetachFromDisposeScope();
                    next.Dispose();
                    next = fed;
                }
                yield return result;
            }
        }
        finally
        {
            next.Dispose();
        }
    }
}
