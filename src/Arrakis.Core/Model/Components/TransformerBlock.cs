using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>
/// One residual block (TL <c>TransformerBlock</c>). Sequential: resid_mid = resid_pre + attn(ln1(resid_pre));
/// resid_post = resid_mid + mlp(ln2(resid_mid)). Parallel (GPT-NeoX/GPT-J): resid_post = resid_pre + attn(ln1(resid_pre)) +
/// mlp(ln2(resid_pre)). Attention-only: resid_post = resid_pre + attn(ln1(resid_pre)).
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    /// <summary><c>ln1</c>: normalisation before attention.</summary>
    public NormLayer ln1;
    /// <summary><c>attn</c>.</summary>
    public Attention attn;
    /// <summary><c>ln2</c>: normalisation before the MLP (absent in attention-only models).</summary>
    public NormLayer? ln2;
    /// <summary><c>mlp</c> (absent in attention-only models).</summary>
    public Mlp? mlp;

    /// <summary><c>hook_resid_pre</c> [batch, pos, d_model].</summary>
    public HookPoint hook_resid_pre = new();
    /// <summary><c>hook_resid_mid</c> [batch, pos, d_model] (sequential blocks with an MLP).</summary>
    public HookPoint hook_resid_mid = new();
    /// <summary><c>hook_resid_post</c> [batch, pos, d_model].</summary>
    public HookPoint hook_resid_post = new();
    /// <summary><c>hook_attn_in</c> [batch, pos, head, d_model] (opt-in).</summary>
    public HookPoint hook_attn_in = new();
    /// <summary><c>hook_q_input</c> [batch, pos, head, d_model] (opt-in).</summary>
    public HookPoint hook_q_input = new();
    /// <summary><c>hook_k_input</c> [batch, pos, kv_head, d_model] (opt-in).</summary>
    public HookPoint hook_k_input = new();
    /// <summary><c>hook_v_input</c> [batch, pos, kv_head, d_model] (opt-in).</summary>
    public HookPoint hook_v_input = new();
    /// <summary><c>hook_attn_out</c> [batch, pos, d_model].</summary>
    public HookPoint hook_attn_out = new();
    /// <summary><c>hook_mlp_in</c> [batch, pos, d_model] (opt-in).</summary>
    public HookPoint hook_mlp_in = new();
    /// <summary><c>hook_mlp_out</c> [batch, pos, d_model].</summary>
    public HookPoint hook_mlp_out = new();

    private readonly HookedTransformerConfig _cfg;

    internal TransformerBlock(HookedTransformerConfig cfg, int layer) : base(nameof(TransformerBlock))
    {
        _cfg = cfg;
        ln1 = new NormLayer(cfg.Normalization, cfg.DModel, cfg.Eps, cfg.Dtype);
        attn = new Attention(cfg, layer);
        if (!cfg.AttnOnly)
        {
            ln2 = new NormLayer(cfg.Normalization, cfg.DModel, cfg.Eps, cfg.Dtype);
            mlp = new Mlp(cfg);
        }
        RegisterComponents();
    }

    /// <summary>Not used: a block needs the pass's positions and mask; call <see cref="HookedTransformer.Forward"/>.</summary>
    public override Tensor forward(Tensor input) =>
        throw new NotSupportedException("Blocks are run by HookedTransformer.Forward, which supplies positions and masks.");

    /// <summary>resid_pre [batch, pos, d_model] → resid_post [batch, pos, d_model].</summary>
    /// <remarks>The attention and MLP steps each run in their own step of <paramref name="lifetime"/>, so their
    /// temporaries are freed when the step ends; a sum whose left operand no hook saw is taken in place.</remarks>
    internal Tensor Forward(Tensor residual, AttentionInput pass, HookOptions options, ForwardLifetime lifetime)
    {
        var residPre = hook_resid_pre.Run(residual);
        Tensor attnOut;
        using (var step = lifetime.BeginStep())
            attnOut = step.Keep(hook_attn_out.Run(RunAttention(residPre, pass, options, lifetime)));
        if (mlp is null)
            return hook_resid_post.Run(Sum(attnOut, hook_attn_out, residPre));

        if (_cfg.ParallelAttnMlp)
        {
            var parallelIn = options.UseHookMlpIn ? hook_mlp_in.Run(residPre.clone()) : residPre;
            Tensor parallelOut;
            using (var step = lifetime.BeginStep())
                parallelOut = step.Keep(hook_mlp_out.Run(mlp.forward(ln2!.forward(parallelIn))));
            return hook_resid_post.Run(Sum(Sum(attnOut, hook_attn_out, residPre), null, parallelOut));
        }
        var residMid = hook_resid_mid.Run(Sum(attnOut, hook_attn_out, residPre));
        var mlpIn = options.UseHookMlpIn ? hook_mlp_in.Run(residMid.clone()) : residMid;
        Tensor mlpOut;
        using (var step = lifetime.BeginStep())
            mlpOut = step.Keep(hook_mlp_out.Run(mlp.forward(ln2!.forward(mlpIn))));
        return hook_resid_post.Run(Sum(mlpOut, hook_mlp_out, residMid));
    }

    /// <summary>
    /// <paramref name="fresh"/> + <paramref name="other"/>, written into <paramref name="fresh"/> when it is a temporary of
    /// this block that no hook holds (<paramref name="producedBy"/> has none; <c>null</c>: made here, never hooked).
    /// Autograd allows it: an addition's backward needs neither operand.
    /// </summary>
    private static Tensor Sum(Tensor fresh, HookPoint? producedBy, Tensor other) =>
        producedBy is null || !producedBy.HasHooks ? fresh.add_(other) : fresh + other;

    private Tensor RunAttention(Tensor residPre, AttentionInput pass, HookOptions options, ForwardLifetime lifetime)
    {
        if (!options.UseAttnIn && !options.UseSplitQkvInput)
        {
            var normalized = ln1.forward(residPre);
            return attn.Forward(normalized, normalized, normalized, pass, options, lifetime);
        }
        int h = _cfg.NHeads, kv = _cfg.EffectiveKeyValueHeads;
        Tensor q, k, v;
        if (options.UseAttnIn)
        {
            var attnIn = hook_attn_in.Run(PerHead(residPre, h));  // [batch, pos, head, d_model]
            q = attnIn;
            k = v = kv == h ? attnIn : attnIn[.., .., TensorIndex.Slice(0, h, h / kv), ..];
        }
        else
        {
            q = PerHead(residPre, h);
            k = v = PerHead(residPre, kv);
        }
        if (options.UseSplitQkvInput)
        {
            q = hook_q_input.Run(q.clone());
            k = hook_k_input.Run(k.clone());
            v = hook_v_input.Run(v.clone());
        }
        return attn.Forward(ln1.forward(q), ln1.forward(k), ln1.forward(v), pass, options, lifetime);
    }

    /// <summary>[batch, pos, d_model] → [batch, pos, heads, d_model] (a copy per head).</summary>
    private static Tensor PerHead(Tensor x, int heads) => x.unsqueeze(2).expand(x.shape[0], x.shape[1], heads, x.shape[2]);
}
