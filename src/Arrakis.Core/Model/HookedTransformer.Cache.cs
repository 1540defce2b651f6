using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>
    /// Runs the model and keeps the activations at the hook points whose names pass <paramref name="namesFilter"/>
    /// (TL <c>run_with_cache</c>). Only those activations are retained: without <paramref name="includeBackward"/> the
    /// pass runs under <c>no_grad</c>, so no autograd graph outlives it.
    /// </summary>
    /// <param name="tokens">int64 [batch, pos] or [pos].</param>
    /// <param name="namesFilter">Which hook names to keep; <c>null</c> keeps all.</param>
    /// <param name="device">Where to put cached tensors; <c>null</c> leaves them on the model's device.</param>
    /// <param name="removeBatchDim">Drop the batch dimension from cached tensors (batch must be 1).</param>
    /// <param name="includeBackward">Also cache gradients of <paramref name="backwardMetric"/> as <c>{name}_grad</c>.</param>
    /// <param name="backwardMetric">The scalar whose gradients are cached, computed from the logits.</param>
    /// <param name="attentionMask">[batch, pos], 1 for tokens and 0 for padding.</param>
    /// <returns>The logits [batch, pos, d_vocab] (detached) and the cache, which owns its tensors: dispose it.</returns>
    public (Tensor Logits, ActivationCache Cache) RunWithCache(Tensor tokens, Func<string, bool>? namesFilter = null, Device? device = null,
        bool removeBatchDim = false, bool includeBackward = false, Func<Tensor, Tensor>? backwardMetric = null, Tensor? attentionMask = null)
    {
        if (includeBackward && backwardMetric is null)
            throw new ArgumentException("includeBackward caches gradients of a scalar: pass backwardMetric (e.g. logits => logits[0, -1, token]).", nameof(backwardMetric));
        var points = SelectHookPoints(namesFilter);
        var stored = new List<(string Name, Tensor Tensor)>();
        var gradients = new List<(string Name, Tensor Tensor)>();
        Tensor Keep(Tensor activation, Device? target) =>
            (target is null ? activation.detach() : activation.detach().to(target)).DetachFromDisposeScope();

        var forward = points.Select(p => new Hook(p.Name, (activation, context) => { stored.Add((context.Name, Keep(activation, device))); return null; }));
        var backward = includeBackward
            ? points.Select(p => new Hook(p.Name, (gradient, context) => { gradients.Add((context.Name + "_grad", Keep(gradient, device))); return null; }))
            : [];
        try
        {
            Tensor logits;
            using (var scope = NewDisposeScope())
            using (Hooks(forward, backward))
            {
                if (includeBackward)
                {
                    using var grad = enable_grad();
                    logits = Forward(tokens, attentionMask: attentionMask);
                    Backward(backwardMetric!(logits));
                }
                else
                {
                    using var noGrad = no_grad();
                    logits = Forward(tokens, attentionMask: attentionMask);
                }
                logits = logits.detach().MoveToOuterDisposeScope();
            }
            var entries = stored.Concat(Enumerable.Reverse(gradients)).ToList();
            var cache = new ActivationCache(this, entries, hasBatchDim: true);
            if (removeBatchDim)
                cache.RemoveBatchDim();
            return (logits, cache);
        }
        catch
        {
            foreach (var (_, tensor) in stored.Concat(gradients))
                tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="RunWithCache(Tensor, Func{string, bool}?, Device?, bool, bool, Func{Tensor, Tensor}?, Tensor?)"/> keeping
    /// exactly the named hook points; every name is checked first.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a hook point of this model; the message lists the closest ones.</exception>
    public (Tensor Logits, ActivationCache Cache) RunWithCache(Tensor tokens, IEnumerable<string> names, Device? device = null,
        bool removeBatchDim = false, bool includeBackward = false, Func<Tensor, Tensor>? backwardMetric = null, Tensor? attentionMask = null)
    {
        var set = names.ToHashSet(StringComparer.Ordinal);
        foreach (string name in set)
            if (!_hookPointsByName.ContainsKey(name))
                throw UnknownHook(name, nameof(names));
        return RunWithCache(tokens, set.Contains, device, removeBatchDim, includeBackward, backwardMetric, attentionMask);
    }
}
