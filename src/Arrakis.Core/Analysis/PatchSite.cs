namespace Arrakis;

/// <summary>
/// One kind of per-layer activation that can be patched: its hook name in each layer and which tensor dimension each
/// <see cref="PatchAxis"/> indexes (TL's patch setters, one table instead of one function per shape).
/// </summary>
internal sealed class PatchSite
{
    private readonly Dictionary<PatchAxis, int> _dims;
    private readonly Dictionary<PatchAxis, long> _sizes;

    private PatchSite(string activation, int rank, Dictionary<PatchAxis, int> dims, Dictionary<PatchAxis, long> sizes)
    {
        Activation = activation;
        Rank = rank;
        _dims = dims;
        _sizes = sizes;
    }

    /// <summary>TL's short name: <c>resid_pre</c>, <c>z</c>, <c>pattern</c>, ….</summary>
    public string Activation { get; }

    /// <summary>The activation's rank, batch included.</summary>
    public int Rank { get; }

    /// <summary>The hook name in <paramref name="layer"/>.</summary>
    public string HookName(int layer) => ActNames.GetActName(Activation, layer);

    /// <summary>The tensor dimension <paramref name="axis"/> indexes (not defined for <see cref="PatchAxis.Layer"/>).</summary>
    public int Dim(PatchAxis axis) => _dims[axis];

    /// <summary>How many values <paramref name="axis"/> takes.</summary>
    public long Size(PatchAxis axis) => _sizes[axis];

    /// <summary>The site of <paramref name="activation"/> in <paramref name="model"/> for <paramref name="positions"/> input positions.</summary>
    /// <exception cref="ArgumentException">Not a patchable per-layer activation, or not produced by this model under its hook options.</exception>
    public static PatchSite Resolve(HookedTransformer model, string activation, long positions, string argument)
    {
        ArgumentException.ThrowIfNullOrEmpty(activation, argument);
        var cfg = model.Cfg;
        int heads = cfg.NHeads, kvHeads = cfg.EffectiveKeyValueHeads;
        var sizes = new Dictionary<PatchAxis, long> { [PatchAxis.Layer] = cfg.NLayers, [PatchAxis.Pos] = positions, [PatchAxis.DestPos] = positions, [PatchAxis.SrcPos] = positions };
        Dictionary<PatchAxis, int> dims;
        int rank;
        switch (activation)
        {
            case "resid_pre" or "resid_mid" or "resid_post" or "attn_out" or "mlp_out" or "mlp_in":
                rank = 3;
                dims = new() { [PatchAxis.Pos] = 1 };
                break;
            case "q" or "z" or "result" or "rot_q" or "k" or "v" or "rot_k":
                rank = 4;
                dims = new() { [PatchAxis.Pos] = 1, [PatchAxis.Head] = 2 };
                sizes[PatchAxis.Head] = activation is "k" or "v" or "rot_k" ? kvHeads : heads;
                break;
            case "pattern" or "attn_scores":
                rank = 4;
                dims = new() { [PatchAxis.Head] = 1, [PatchAxis.DestPos] = 2, [PatchAxis.SrcPos] = 3 };
                sizes[PatchAxis.Head] = heads;
                break;
            case "pre" or "post" or "mid" or "pre_linear":
                rank = 3;
                dims = new() { [PatchAxis.Pos] = 1, [PatchAxis.Neuron] = 2 };
                sizes[PatchAxis.Neuron] = cfg.DMlp;
                break;
            default:
                throw new ArgumentException(
                    $"{argument} is '{activation}'; expected a per-layer activation: resid_pre, resid_mid, resid_post, attn_out, mlp_out, mlp_in, " +
                    "q, k, v, z, result, rot_q, rot_k, pattern, attn_scores, pre, post, mid or pre_linear.", argument);
        }
        var site = new PatchSite(activation, rank, dims, sizes);
        string first = site.HookName(0);
        if (!model.HookNames.Contains(first))
            throw new ArgumentException(
                $"{argument} is '{activation}', but this model has no '{first}' (an attention-only model has no MLP or resid_mid; rot_* need rotary " +
                "positions; result, mlp_in need their HookOptions).", argument);
        return site;
    }

    /// <summary>Checks an axis list: starts with <see cref="PatchAxis.Layer"/>, no repeats, each axis defined for this activation.</summary>
    public void ValidateAxes(IReadOnlyList<PatchAxis> axes, string argument)
    {
        ArgumentNullException.ThrowIfNull(axes, argument);
        string list = "[" + string.Join(", ", axes.Select(a => a.TlName())) + "]";
        if (axes.Count == 0 || axes[0] != PatchAxis.Layer)
            throw new ArgumentException($"{argument} is {list}; expected the layer axis first, as in TransformerLens.", argument);
        if (axes.Distinct().Count() != axes.Count)
            throw new ArgumentException($"{argument} is {list}; an axis is named twice.", argument);
        foreach (var axis in axes.Skip(1))
            if (!_dims.ContainsKey(axis))
                throw new ArgumentException(
                    $"{argument} is {list}; '{Activation}' has no {axis.TlName()} axis (it has {string.Join(", ", _dims.Keys.Select(a => a.TlName()))}).", argument);
    }
}
