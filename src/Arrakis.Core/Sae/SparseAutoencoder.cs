using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// A sparse autoencoder over one hook point's activations (SAELens <c>SAE</c>), with SAELens's parameter names and
/// shapes and its hook points.
/// </summary>
/// <remarks>
/// <code>
/// sae_in = x − b_dec·[apply_b_dec_to_input]          hook_sae_input sees x          [..., d_in]
/// pre    = sae_in · W_enc + b_enc                      hook_sae_acts_pre              [..., d_sae]
/// acts   = σ(pre)                                      hook_sae_acts_post             [..., d_sae]
///          σ = ReLU (standard) | top-k of ReLU (topk) | ReLU · [pre &gt; threshold] (jumprelu)
/// recons = acts · W_dec + b_dec                        hook_sae_recons                [..., d_in]
/// error  = x − recons_clean                            hook_sae_error (with the error term only; recons_clean is computed without hooks)
/// output = recons (+ error)                            hook_sae_output
/// </code>
/// The decoder's rows (one per latent) are kept at unit norm during training, so a latent's activation is the size of
/// its direction in the reconstruction.
/// </remarks>
public sealed class SparseAutoencoder : nn.Module<Tensor, Tensor>
{
    /// <summary><c>W_enc</c> [d_in, d_sae].</summary>
    public Parameter W_enc;
    /// <summary><c>W_dec</c> [d_sae, d_in]: row i is latent i's direction.</summary>
    public Parameter W_dec;
    /// <summary><c>b_enc</c> [d_sae].</summary>
    public Parameter b_enc;
    /// <summary><c>b_dec</c> [d_in].</summary>
    public Parameter b_dec;
    /// <summary><c>threshold</c> [d_sae] (JumpReLU only; null otherwise).</summary>
    public Parameter? threshold;

    /// <summary><c>hook_sae_input</c> [..., d_in].</summary>
    public HookPoint hook_sae_input = new();
    /// <summary><c>hook_sae_acts_pre</c> [..., d_sae].</summary>
    public HookPoint hook_sae_acts_pre = new();
    /// <summary><c>hook_sae_acts_post</c> [..., d_sae].</summary>
    public HookPoint hook_sae_acts_post = new();
    /// <summary><c>hook_sae_recons</c> [..., d_in].</summary>
    public HookPoint hook_sae_recons = new();
    /// <summary><c>hook_sae_error</c> [..., d_in] (fires when spliced with the error term).</summary>
    public HookPoint hook_sae_error = new();
    /// <summary><c>hook_sae_output</c> [..., d_in].</summary>
    public HookPoint hook_sae_output = new();

    /// <summary>The SAELens names of this SAE's hook points, in the order they fire.</summary>
    public static readonly IReadOnlyList<string> HookPointNames =
        ["hook_sae_input", "hook_sae_acts_pre", "hook_sae_acts_post", "hook_sae_recons", "hook_sae_error", "hook_sae_output"];

    /// <summary>
    /// Builds an SAE with zero parameters (a loader or <see cref="InitializeForTraining"/> fills them), on
    /// <paramref name="device"/> (the CPU when null).
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid (<see cref="SaeConfig.Validate"/>).</exception>
    public SparseAutoencoder(SaeConfig config, Device? device = null) : base(nameof(SparseAutoencoder))
    {
        Native.TorchNative.Ensure();
        Cfg = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        Device = device ?? CPU;
        var dtype = Cfg.Dtype;
        W_enc = new Parameter(zeros(Cfg.DIn, Cfg.DSae, dtype: dtype, device: Device));
        W_dec = new Parameter(zeros(Cfg.DSae, Cfg.DIn, dtype: dtype, device: Device));
        b_enc = new Parameter(zeros(Cfg.DSae, dtype: dtype, device: Device));
        b_dec = new Parameter(zeros(Cfg.DIn, dtype: dtype, device: Device));
        if (Cfg.Architecture == SaeArchitecture.JumpRelu)
            threshold = new Parameter(zeros(Cfg.DSae, dtype: dtype, device: Device), requires_grad: false);
        RegisterComponents();
        NameOwnHookPoints();
    }

    /// <summary>The configuration (SAELens <c>sae.cfg</c>).</summary>
    public SaeConfig Cfg { get; private set; }

    /// <summary>The device the parameters live on.</summary>
    public Device Device { get; }

    /// <summary>This SAE's hook points with their SAELens names, in the order they fire.</summary>
    public IReadOnlyList<(string Suffix, HookPoint Point)> HookPoints =>
        [("hook_sae_input", hook_sae_input), ("hook_sae_acts_pre", hook_sae_acts_pre), ("hook_sae_acts_post", hook_sae_acts_post),
         ("hook_sae_recons", hook_sae_recons), ("hook_sae_error", hook_sae_error), ("hook_sae_output", hook_sae_output)];

    /// <summary>Gives the hook points their bare SAELens names (as when the SAE runs on its own).</summary>
    internal void NameOwnHookPoints()
    {
        foreach (var (suffix, point) in HookPoints)
            point.SetName(suffix, Cfg.HookLayer);
    }

    /// <summary>
    /// Training initialisation, seeded: decoder rows random unit vectors, the encoder their transpose (tied
    /// initialisation), biases zero.
    /// </summary>
    public void InitializeForTraining(long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed, device: CPU);
        var directions = randn(Cfg.DSae, Cfg.DIn, dtype: ScalarType.Float32, device: CPU, generator: generator);
        directions = directions / directions.norm(1, keepdim: true, p: 2);
        W_dec.copy_(directions);
        W_enc.copy_(directions.t());
        b_enc.zero_();
        b_dec.zero_();
    }

    /// <summary>Rescales every decoder row to unit norm (TL/SAELens <c>set_decoder_norm_to_unit_norm</c>).</summary>
    public void NormalizeDecoderRows()
    {
        using var noGrad = no_grad();
        using var norms = W_dec.norm(1, keepdim: true, p: 2).clamp_min(1e-12);
        W_dec.div_(norms);
    }

    /// <summary>The encoder's pre-activations, <c>(x − b_dec) · W_enc + b_enc</c> [..., d_sae], through <c>hook_sae_acts_pre</c>.</summary>
    public Tensor EncodePre(Tensor x)
    {
        CheckInput(x);
        return hook_sae_acts_pre.Run(PreActivation(x));
    }

    /// <summary>The latent activations [..., d_sae] (SAELens <c>encode</c>), through <c>hook_sae_acts_pre</c> and <c>hook_sae_acts_post</c>.</summary>
    public Tensor Encode(Tensor x) => hook_sae_acts_post.Run(Activate(EncodePre(x)));

    /// <summary>The reconstruction <c>acts · W_dec + b_dec</c> [..., d_in] (SAELens <c>decode</c>), through <c>hook_sae_recons</c>.</summary>
    public Tensor Decode(Tensor acts) => hook_sae_recons.Run(matmul(acts, W_dec) + b_dec);

    /// <summary>The reconstruction of <paramref name="x"/> [..., d_in] through every hook point but <c>hook_sae_error</c> (SAELens <c>forward</c>).</summary>
    public override Tensor forward(Tensor x) => Run(x, useErrorTerm: false);

    /// <summary>
    /// Runs the SAE on <paramref name="x"/> [..., d_in]: the reconstruction, plus the error term <c>x − recons</c> when
    /// <paramref name="useErrorTerm"/> (so the output equals <paramref name="x"/> up to rounding while every latent is
    /// still visible at the hook points).
    /// </summary>
    public Tensor Run(Tensor x, bool useErrorTerm)
    {
        var input = hook_sae_input.Run(x);
        var recons = Decode(Encode(input));
        if (!useErrorTerm)
            return hook_sae_output.Run(recons);
        // As SAELens: the error is measured against a reconstruction made without hooks, so an edit of the latents
        // (at hook_sae_acts_post) still reaches the output instead of being cancelled by the error term.
        var clean = matmul(Activate(PreActivation(input)), W_dec) + b_dec;
        return hook_sae_output.Run(recons + hook_sae_error.Run(input - clean));
    }

    private Tensor PreActivation(Tensor x) => matmul(Cfg.ApplyBDecToInput ? x - b_dec : x, W_enc) + b_enc;

    /// <summary>σ(pre) for this architecture; BatchTopK keeps the k·tokens largest over all leading dimensions together.</summary>
    internal Tensor Activate(Tensor pre)
    {
        var relu = nn.functional.relu(pre);
        switch (Cfg.Architecture)
        {
            case SaeArchitecture.Standard:
                return relu;
            case SaeArchitecture.TopK:
            {
                var (values, indices) = relu.topk(Cfg.K!.Value, dim: -1);
                return zeros_like(relu).scatter_(-1, indices, values);
            }
            case SaeArchitecture.BatchTopK:
            {
                var flat = relu.flatten();
                long keep = Math.Min(flat.shape[0], (long)Cfg.K!.Value * (flat.shape[0] / Cfg.DSae));
                var (values, indices) = flat.topk((int)keep);
                return zeros_like(flat).scatter_(0, indices, values).view(relu.shape);
            }
            case SaeArchitecture.JumpRelu:
                return relu * (pre > threshold!).to(pre.dtype);
            default:
                throw new InvalidOperationException($"Unknown architecture {Cfg.Architecture}.");
        }
    }

    /// <summary>Turns a trained BatchTopK SAE into the JumpReLU SAE used for inference, with one threshold for every latent.</summary>
    internal void ConvertToJumpRelu(double learnedThreshold)
    {
        if (Cfg.Architecture != SaeArchitecture.BatchTopK)
            throw new InvalidOperationException($"Only a BatchTopK SAE converts to JumpReLU; this one is {Cfg.Architecture}.");
        Cfg = Cfg with { Architecture = SaeArchitecture.JumpRelu, K = null };
        threshold = new Parameter(full(Cfg.DSae, learnedThreshold, dtype: Cfg.Dtype, device: Device), requires_grad: false);
        register_parameter(nameof(threshold), threshold);
    }

    private void CheckInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() == 0 || x.shape[^1] != Cfg.DIn)
            throw new ArgumentException($"The activation has shape [{string.Join(", ", x.shape)}]; expected [..., {Cfg.DIn}] (d_in).", nameof(x));
    }
}
