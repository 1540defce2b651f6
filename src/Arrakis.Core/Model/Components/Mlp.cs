using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>
/// The MLP of a block (TL <c>MLP</c>, <c>GatedMLP</c>). Plain: post = act(x·W_in + b_in); gated:
/// post = act(x·W_gate + b_gate) ⊙ (x·W_in + b_in); out = post·W_out + b_out. With <c>solu_ln</c>,
/// post = LN(x̂ ⊙ softmax(x̂)) where x̂ = x·W_in + b_in.
/// </summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    /// <summary><c>W_in</c> [d_model, d_mlp].</summary>
    public Parameter W_in;
    /// <summary><c>b_in</c> [d_mlp].</summary>
    public Parameter b_in;
    /// <summary><c>W_gate</c> [d_model, d_mlp] (gated MLPs only).</summary>
    public Parameter? W_gate;
    /// <summary><c>b_gate</c> [d_mlp] (gated MLPs only; zero in every Hugging Face family, but it lets <c>fold_ln</c> absorb a LayerNorm bias).</summary>
    public Parameter? b_gate;
    /// <summary><c>W_out</c> [d_mlp, d_model].</summary>
    public Parameter W_out;
    /// <summary><c>b_out</c> [d_model].</summary>
    public Parameter b_out;

    /// <summary><c>hook_pre</c> [batch, pos, d_mlp]: the activation function's input (the gate's, for gated MLPs).</summary>
    public HookPoint hook_pre = new();
    /// <summary><c>hook_pre_linear</c> [batch, pos, d_mlp]: the linear branch of a gated MLP.</summary>
    public HookPoint hook_pre_linear = new();
    /// <summary><c>hook_mid</c> [batch, pos, d_mlp]: SoLU output before its LayerNorm.</summary>
    public HookPoint hook_mid = new();
    /// <summary><c>hook_post</c> [batch, pos, d_mlp]: the neuron activations W_out reads.</summary>
    public HookPoint hook_post = new();
    /// <summary><c>ln</c>: SoLU's LayerNorm over d_mlp.</summary>
    public NormLayer? ln;

    private readonly ActivationFunction _act;

    internal Mlp(HookedTransformerConfig cfg) : base(nameof(Mlp))
    {
        _act = cfg.ActFn;
        var dt = cfg.Dtype;
        W_in = new Parameter(empty(cfg.DModel, cfg.DMlp, dtype: dt));
        b_in = new Parameter(zeros(cfg.DMlp, dtype: dt));
        if (cfg.GatedMlp)
        {
            W_gate = new Parameter(empty(cfg.DModel, cfg.DMlp, dtype: dt));
            b_gate = new Parameter(zeros(cfg.DMlp, dtype: dt));
        }
        W_out = new Parameter(empty(cfg.DMlp, cfg.DModel, dtype: dt));
        b_out = new Parameter(zeros(cfg.DModel, dtype: dt));
        if (cfg.ActFn == ActivationFunction.SoluLn)
            ln = new NormLayer(NormalizationType.LayerNorm, cfg.DMlp, cfg.Eps, dt);
        RegisterComponents();
    }

    /// <summary>Whether this MLP is gated.</summary>
    public bool IsGated => W_gate is not null;

    /// <summary>x [batch, pos, d_model] → [batch, pos, d_model].</summary>
    /// <remarks>Biases are fused into the matrix products (<c>addmm</c>); gelu_new is PyTorch's fused tanh-approximate
    /// GELU (the same formula); with autograd off, the gate is multiplied in place where no hook holds it.</remarks>
    public override Tensor forward(Tensor x)
    {
        long rows = x.numel() / x.shape[^1];
        var flat = x.reshape(rows, x.shape[^1]);  // [batch·pos, d_model]
        Tensor post;
        if (W_gate is not null)
        {
            var gate = hook_pre.Run(Linear(flat, W_gate, b_gate!, x));
            var linear = hook_pre_linear.Run(Linear(flat, W_in, b_in, x));
            var activated = Activations.Apply(_act, gate);
            bool inPlace = !is_grad_enabled() && !hook_post.HasHooks && !ReferenceEquals(activated, gate);
            post = hook_post.Run(inPlace ? activated.mul_(linear) : activated * linear);
        }
        else if (_act == ActivationFunction.SoluLn)
        {
            var pre = hook_pre.Run(Linear(flat, W_in, b_in, x));
            var mid = hook_mid.Run(pre * pre.softmax(-1));
            post = hook_post.Run(ln!.forward(mid));
        }
        else
        {
            var pre = hook_pre.Run(Linear(flat, W_in, b_in, x));
            post = hook_post.Run(Activations.Apply(_act, pre));
        }
        long width = post.shape[^1];
        var shape = x.shape.ToArray();
        shape[^1] = W_out.shape[1];
        return b_out.addmm(post.reshape(rows, width), W_out).view(shape);
    }

    /// <summary>flat [rows, d_model] · W [d_model, d_mlp] + b, shaped like <paramref name="like"/> with d_mlp last.</summary>
    private static Tensor Linear(Tensor flat, Tensor weight, Tensor bias, Tensor like)
    {
        var shape = like.shape.ToArray();
        shape[^1] = weight.shape[1];
        return bias.addmm(flat, weight).view(shape);
    }
}
