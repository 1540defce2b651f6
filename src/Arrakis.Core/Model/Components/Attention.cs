using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>
/// Causal multi-head attention with grouped-query key/value heads, optional rotary positions and a sliding window
/// (TL <c>Attention</c> / <c>GroupedQueryAttention</c>). Weights use TransformerLens shapes.
/// </summary>
/// <remarks>
/// q = x·W_Q + b_Q, k = x·W_K + b_K, v = x·W_V + b_V per head; scores = q·kᵀ / attn_scale with the causal (and window,
/// and padding) mask set to −∞; pattern = softmax(scores); z = pattern·v; out = Σ_h z_h·W_O[h] + b_O. Key/value head
/// g serves query heads g·(n_heads/n_kv_heads) … (g+1)·(n_heads/n_kv_heads)−1.
/// </remarks>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    /// <summary><c>W_Q</c> [n_heads, d_model, d_head].</summary>
    public Parameter W_Q;
    /// <summary><c>W_K</c> [n_kv_heads, d_model, d_head].</summary>
    public Parameter W_K;
    /// <summary><c>W_V</c> [n_kv_heads, d_model, d_head].</summary>
    public Parameter W_V;
    /// <summary><c>W_O</c> [n_heads, d_head, d_model].</summary>
    public Parameter W_O;
    /// <summary><c>b_Q</c> [n_heads, d_head].</summary>
    public Parameter b_Q;
    /// <summary><c>b_K</c> [n_kv_heads, d_head].</summary>
    public Parameter b_K;
    /// <summary><c>b_V</c> [n_kv_heads, d_head].</summary>
    public Parameter b_V;
    /// <summary><c>b_O</c> [d_model].</summary>
    public Parameter b_O;

    /// <summary><c>hook_q</c> [batch, pos, head, d_head].</summary>
    public HookPoint hook_q = new();
    /// <summary><c>hook_k</c> [batch, pos, kv_head, d_head].</summary>
    public HookPoint hook_k = new();
    /// <summary><c>hook_v</c> [batch, pos, kv_head, d_head].</summary>
    public HookPoint hook_v = new();
    /// <summary><c>hook_rot_q</c> [batch, pos, head, d_head] (rotary models).</summary>
    public HookPoint hook_rot_q = new();
    /// <summary><c>hook_rot_k</c> [batch, pos, kv_head, d_head] (rotary models).</summary>
    public HookPoint hook_rot_k = new();
    /// <summary><c>hook_attn_scores</c> [batch, head, query_pos, key_pos], masked entries −∞.</summary>
    public HookPoint hook_attn_scores = new();
    /// <summary><c>hook_pattern</c> [batch, head, query_pos, key_pos].</summary>
    public HookPoint hook_pattern = new();
    /// <summary><c>hook_z</c> [batch, pos, head, d_head].</summary>
    public HookPoint hook_z = new();
    /// <summary><c>hook_result</c> [batch, pos, head, d_model] (only with <see cref="HookOptions.UseAttnResult"/>).</summary>
    public HookPoint hook_result = new();

    private readonly HookedTransformerConfig _cfg;
    private readonly int _layer;

    internal Attention(HookedTransformerConfig cfg, int layer) : base(nameof(Attention))
    {
        _cfg = cfg;
        _layer = layer;
        int h = cfg.NHeads, kv = cfg.EffectiveKeyValueHeads, d = cfg.DModel, dh = cfg.DHead;
        var dt = cfg.Dtype;
        W_Q = new Parameter(ReaderLayout(h, d, dh, dt));
        W_K = new Parameter(ReaderLayout(kv, d, dh, dt));
        W_V = new Parameter(ReaderLayout(kv, d, dh, dt));
        W_O = new Parameter(empty(h, dh, d, dtype: dt));
        b_Q = new Parameter(zeros(h, dh, dtype: dt));
        b_K = new Parameter(zeros(kv, dh, dtype: dt));
        b_V = new Parameter(zeros(kv, dh, dtype: dt));
        b_O = new Parameter(zeros(d, dtype: dt));
        RegisterComponents();
    }

    /// <summary>
    /// An uninitialised [heads, d_model, d_head] reader weight stored as one [d_model, heads·d_head] matrix (strides
    /// d_head, heads·d_head, 1): the projection x·W for all heads at once is then a view of the parameter, so a forward
    /// pass copies no weights, and every change to W_Q (loading, <c>ProcessWeights</c>, training, a user's edit) is seen.
    /// </summary>
    private static Tensor ReaderLayout(int heads, int dModel, int dHead, ScalarType dtype) =>
        empty(dModel, heads * dHead, dtype: dtype).view(dModel, heads, dHead).permute(1, 0, 2);

    /// <summary>Not used: attention needs its three inputs and the pass's positions and mask.</summary>
    public override Tensor forward(Tensor input) =>
        throw new NotSupportedException("Attention is run by its block with query, key and value inputs; call HookedTransformer.Forward.");

    /// <summary>
    /// Runs attention. Inputs are [batch, pos, d_model], or per head [batch, pos, head, d_model] (queries) and
    /// [batch, pos, kv_head, d_model] (keys, values) when the block splits them. Returns [batch, pos, d_model].
    /// </summary>
    /// <remarks>
    /// Lean like PyTorch eager: biases are fused into the matrix products (<c>addmm</c>), the scale and the mask are applied
    /// to the fresh scores in place, and the scores and the
    /// pattern are freed as soon as their last reader has run (unless a hook saw them). Half-precision scores go through
    /// softmax as they are: PyTorch accumulates a half or bfloat16 softmax in float32 internally, so no float32 copy of
    /// the scores is made.
    /// </remarks>
    internal Tensor Forward(Tensor queryInput, Tensor keyInput, Tensor valueInput, AttentionInput pass, HookOptions options, ForwardLifetime? lifetime = null)
    {
        long batch = queryInput.shape[0], pos = queryInput.shape[1];
        int h = _cfg.NHeads, kv = _cfg.EffectiveKeyValueHeads, dh = _cfg.DHead;

        var q = hook_q.Run(Project(queryInput, W_Q, b_Q));  // [batch, pos, head, d_head]
        var k = hook_k.Run(Project(keyInput, W_K, b_K));    // [batch, pos, kv_head, d_head]
        var v = hook_v.Run(Project(valueInput, W_V, b_V));  // [batch, pos, kv_head, d_head]
        if (_cfg.PositionalEmbedding == PositionalEmbeddingType.Rotary)
        {
            q = hook_rot_q.Run(Rotary.Apply(q, pass.Positions, _cfg.EffectiveRotaryDim, _cfg.RotaryBase));
            k = hook_rot_k.Run(Rotary.Apply(k, pass.Positions, _cfg.EffectiveRotaryDim, _cfg.RotaryBase));
        }
        if (pass.Cache is { } cache)
            (k, v) = cache.Append(_layer, k, v);
        long keys = k.shape[1];

        if (kv != h)
        {
            k = k.repeat_interleave(h / kv, dim: 2);  // [batch, key_pos, head, d_head]
            v = v.repeat_interleave(h / kv, dim: 2);
        }
        // scores = q·kᵀ / attn_scale, one batched product over (batch, head) [batch·head, query_pos, key_pos].
        var q3 = q.permute(0, 2, 1, 3).reshape(batch * h, pos, dh);
        var k3 = k.permute(0, 2, 3, 1).reshape(batch * h, dh, keys);
        var scores = q3.bmm(k3).view(batch, h, pos, keys);  // [batch, head, query_pos, key_pos]
        if (_cfg.UseAttnScale)
            scores.div_(_cfg.EffectiveAttnScale);  // in place on the fresh product: bmm's backward does not need it
        lifetime?.Release(q3);
        lifetime?.Release(k3);
        scores = hook_attn_scores.Run(scores.masked_fill_(Mask(pos, keys, pass, scores.device), double.NegativeInfinity));

        var pattern = scores.softmax(-1);
        lifetime?.Release(scores);
        if (pass.KeyMask is not null)  // fully masked rows (padding queries) become 0, as in TL; without padding none exists
            pattern = is_grad_enabled() ? pattern.nan_to_num(0.0) : pattern.nan_to_num_(0.0);
        pattern = hook_pattern.Run(pattern);

        var z = hook_z.Run(pattern.matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3));  // [batch, pos, head, d_head]
        lifetime?.Release(pattern);
        if (options.UseAttnResult)
        {
            var result = hook_result.Run(einsum("bphe,hed->bphd", z, W_O));  // [batch, pos, head, d_model]
            return result.sum(2).add_(b_O);
        }
        return b_O.addmm(z.reshape(batch * pos, h * dh), W_O.reshape(h * dh, _cfg.DModel)).view(batch, pos, _cfg.DModel);
    }

    /// <summary>x [batch, pos, d_model] or [batch, pos, heads, d_model]; W [heads, d_model, d_head] → [batch, pos, heads, d_head].</summary>
    private static Tensor Project(Tensor x, Tensor weight, Tensor bias)
    {
        long heads = weight.shape[0], dModel = weight.shape[1], dHead = weight.shape[2];
        if (x.dim() == 4)
            return einsum("bphd,hde->bphe", x, weight) + bias;
        // A view, not a copy, while the weight keeps the layout it was made with (see ReaderLayout).
        var fused = weight.permute(1, 0, 2).reshape(dModel, heads * dHead);
        return bias.reshape(heads * dHead).addmm(x.reshape(-1, dModel), fused).view(x.shape[0], x.shape[1], heads, dHead);
    }

    /// <summary>True where a query must not see a key: the future, outside a local window, or padding. [batch or 1, 1, query, key].</summary>
    private Tensor Mask(long queries, long keys, AttentionInput pass, Device device)
    {
        var queryPositions = arange(pass.PastLength, pass.PastLength + queries, dtype: int64, device: device).unsqueeze(1);  // [query, 1]
        var keyPositions = arange(0, keys, dtype: int64, device: device).unsqueeze(0);                                     // [1, key]
        var blocked = keyPositions > queryPositions;
        if (_cfg.AttentionTypeOf(_layer) == AttentionType.Local)
            blocked = blocked.logical_or(keyPositions <= queryPositions - _cfg.WindowSize!.Value);
        blocked = blocked.unsqueeze(0).unsqueeze(0);  // [1, 1, query, key]
        if (pass.KeyMask is { } keyMask)
            blocked = blocked.logical_or(keyMask.eq(0).unsqueeze(1).unsqueeze(1));  // [batch, 1, query, key]
        return blocked;
    }
}
