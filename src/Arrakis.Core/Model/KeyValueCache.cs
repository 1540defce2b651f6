using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Keys and values of every layer from earlier forward passes, so generation feeds only new tokens
/// (TL <c>HookedTransformerKeyValueCache</c>). Keys are stored after rotary rotation. Owns its tensors: dispose it.
/// </summary>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private Tensor? _mask;

    /// <summary>Creates an empty cache for a model of <paramref name="layers"/> blocks.</summary>
    public KeyValueCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>How many positions are cached.</summary>
    public long Length => _keys[0]?.shape[1] ?? 0;

    /// <summary>The attention mask of the cached positions [batch, Length] (1 = real token), or <c>null</c> for none.</summary>
    public Tensor? Mask => _mask;

    /// <summary>Appends new keys/values [batch, new_pos, kv_head, d_head] of one layer; returns the full ones.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var fullKeys = _keys[layer] is { } oldKeys ? cat([oldKeys, keys], 1) : keys.alias();
        var fullValues = _values[layer] is { } oldValues ? cat([oldValues, values], 1) : values.alias();
        Replace(ref _keys[layer], fullKeys.detach());
        Replace(ref _values[layer], fullValues.detach());
        return (fullKeys, fullValues);
    }

    /// <summary>Extends the stored mask with the new positions' mask [batch, new_pos]; returns the full mask.</summary>
    internal Tensor AppendMask(Tensor newMask)
    {
        var full = _mask is { } old ? cat([old, newMask], 1) : newMask.alias();
        Replace(ref _mask, full.detach());
        return full;
    }

    private static void Replace(ref Tensor? slot, Tensor value)
    {
        var old = slot;
        slot = value.DetachFromDisposeScope();
        old?.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = _values[i] = null;
        }
        _mask?.Dispose();
        _mask = null;
    }
}
