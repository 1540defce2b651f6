using System.Collections;
using Arrakis.Util;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Activations cached by <see cref="HookedTransformer.RunWithCache(Tensor, Func{string, bool}?, Device?, bool, bool, Func{Tensor, Tensor}?, Tensor?)"/>,
/// keyed by hook name in the order they fired (TransformerLens <c>ActivationCache</c>). Owns its tensors: dispose it.
/// Index by full name (<c>cache["blocks.0.attn.hook_pattern"]</c>) or by TL shorthand with negative layers allowed
/// (<c>cache["pattern", -1]</c>, <c>cache["scale", 2, "ln2"]</c>).
/// </summary>
/// <remarks>
/// Cached tensors are detached and never require gradients (TL's <c>toggle_autodiff</c> has nothing to toggle): wrap analysis
/// code in <c>using (torch.inference_mode())</c> so it records no graph, and use
/// <c>RunWithCache(…, includeBackward: true, backwardMetric: …)</c> to cache gradients as <c>{name}_grad</c>.
/// </remarks>
public sealed partial class ActivationCache : IReadOnlyDictionary<string, Tensor>, IDisposable
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    internal ActivationCache(HookedTransformer model, IEnumerable<(string Name, Tensor Tensor)> entries, bool hasBatchDim)
    {
        Model = model;
        HasBatchDim = hasBatchDim;
        foreach (var (name, tensor) in entries)
        {
            if (_tensors.Remove(name, out var previous))
            {
                previous.Dispose(); // a point that fired twice (e.g. ln1 with split inputs) keeps its last value
                _order.Remove(name);
            }
            _tensors[name] = tensor;
            _order.Add(name);
        }
    }

    /// <summary>The model the activations came from.</summary>
    public HookedTransformer Model { get; }

    /// <summary>Whether tensors still have their leading batch dimension.</summary>
    public bool HasBatchDim { get; private set; }

    /// <summary>The tensor at a full hook name.</summary>
    /// <exception cref="KeyNotFoundException">Not cached; the message names the closest cached keys and the filter that would include it.</exception>
    public Tensor this[string key] => _tensors.TryGetValue(key, out var t) ? t : throw Missing(key);

    /// <summary>The tensor for a TL shorthand at a layer (negative counts from the end), e.g. <c>("resid_post", -1)</c>.</summary>
    public Tensor this[string name, int layer, string? layerType = null] =>
        this[ActNames.GetActName(name, Model.LayerIndex(layer, nameof(layer)), layerType)];

    /// <inheritdoc />
    public IEnumerable<string> Keys => _order;

    /// <inheritdoc />
    public IEnumerable<Tensor> Values => _order.Select(k => _tensors[k]);

    /// <inheritdoc />
    public int Count => _order.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out Tensor value) => _tensors.TryGetValue(key, out value!);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        _order.Select(k => new KeyValuePair<string, Tensor>(k, _tensors[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Total bytes held by the cached tensors.</summary>
    public long TotalBytes => Values.Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Moves every tensor to <paramref name="device"/> (TL <c>cache.to(device)</c>).</summary>
    public ActivationCache To(Device device)
    {
        foreach (string key in _order)
            Replace(key, _tensors[key].to(device));
        return this;
    }

    /// <summary>Drops the batch dimension of every tensor (TL <c>remove_batch_dim</c>); the batch must be 1.</summary>
    /// <exception cref="InvalidOperationException">The batch has more than one sequence, or the dimension was already removed.</exception>
    public ActivationCache RemoveBatchDim()
    {
        if (!HasBatchDim)
            throw new InvalidOperationException("The batch dimension has already been removed.");
        foreach (string key in _order)
        {
            var t = _tensors[key];
            if (t.shape[0] != 1)
                throw new InvalidOperationException($"Cannot remove a batch dimension of size {t.shape[0]} (at '{key}'); it must be 1.");
        }
        foreach (string key in _order)
            Replace(key, _tensors[key].squeeze(0));
        HasBatchDim = false;
        return this;
    }

    /// <summary>
    /// Applies <paramref name="batchSlice"/> to the batch dimension of every tensor (TL <c>apply_slice_to_batch_dim</c>);
    /// a single index removes the batch dimension.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch dimension was already removed.</exception>
    public ActivationCache ApplySliceToBatchDim(Slice batchSlice)
    {
        ArgumentNullException.ThrowIfNull(batchSlice);
        if (!HasBatchDim)
            throw new InvalidOperationException("The batch dimension has already been removed; there is nothing to slice.");
        foreach (string key in _order)
            Replace(key, batchSlice.Apply(_tensors[key], 0));
        if (batchSlice.RemovesDimension)
            HasBatchDim = false;
        return this;
    }

    private void Replace(string key, Tensor replacement)
    {
        var old = _tensors[key];
        if (ReferenceEquals(old, replacement))
            return;
        _tensors[key] = replacement.DetachFromDisposeScope();
        old.Dispose();
    }

    private KeyNotFoundException Missing(string key)
    {
        string closest = string.Join(", ", NameSuggestions.Closest(key, _order));
        return new KeyNotFoundException(
            $"'{key}' is not in this cache. Closest cached: {closest}. Include it with RunWithCache(tokens, name => name == \"{key}\") or a wider names filter.");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _tensors.Values)
            t.Dispose();
        _tensors.Clear();
        _order.Clear();
    }
}
