using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>
/// LayerNorm, LayerNormPre, RMSNorm or RMSNormPre over the last dimension (TL <c>LayerNorm</c>, <c>LayerNormPre</c>,
/// <c>RMSNorm</c>, <c>RMSNormPre</c>), with <c>hook_scale</c> [batch, pos, 1] and <c>hook_normalized</c> [batch, pos, length].
/// </summary>
/// <remarks>
/// LN: x̃ = x − mean(x); scale = √(mean(x̃²) + ε); out = hook_normalized(x̃ / scale · w + b).
/// RMS: scale = √(mean(x²) + ε); out = hook_normalized(x / scale) · w (as TransformerLens, the RMS hook is before the weight).
/// The Pre variants have no weights.
/// </remarks>
public sealed class NormLayer : nn.Module<Tensor, Tensor>
{
    /// <summary>Weight <c>w</c> [length] (LN, RMS; <c>null</c> for the Pre variants).</summary>
    public Parameter? w;

    /// <summary>Bias <c>b</c> [length] (LN only).</summary>
    public Parameter? b;

    /// <summary><c>hook_scale</c> [batch, pos, 1].</summary>
    public HookPoint hook_scale = new();

    /// <summary><c>hook_normalized</c> [batch, pos, length].</summary>
    public HookPoint hook_normalized = new();

    private readonly double _eps;

    internal NormLayer(NormalizationType type, int length, double eps, ScalarType dtype) : base(nameof(NormLayer))
    {
        Type = type;
        _eps = eps;
        if (type is NormalizationType.LayerNorm or NormalizationType.RMSNorm)
            w = new Parameter(ones(length, dtype: dtype));
        if (type is NormalizationType.LayerNorm)
            b = new Parameter(zeros(length, dtype: dtype));
        RegisterComponents();
    }

    /// <summary>The kind of normalisation.</summary>
    public NormalizationType Type { get; private set; }

    /// <summary>After <c>fold_ln</c>: drops the weights (they now live in the readers) and becomes the Pre variant.</summary>
    internal void DropWeights()
    {
        Type = Type switch
        {
            NormalizationType.LayerNorm => NormalizationType.LayerNormPre,
            NormalizationType.RMSNorm => NormalizationType.RMSNormPre,
            var other => other,
        };
        w?.Dispose();
        b?.Dispose();
        w = null;
        b = null;
        ConditionallyRegisterParameter(nameof(w), (Parameter?)null);
        ConditionallyRegisterParameter(nameof(b), (Parameter?)null);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Normalize(x, runHooks: true);

    /// <summary>The normalisation of <paramref name="x"/> over its last dimension; without hooks for analysis code.</summary>
    /// <remarks>
    /// The same operations run whether or not hooks are attached, so a hooked run (e.g. <c>RunWithCache</c>) gives
    /// bit-for-bit the logits of a plain one. With autograd off, the steps after the centring are taken in place on the
    /// fresh centred tensor where no hook holds it (same operations, same bits, fewer temporaries); the square is freed
    /// as soon as its mean is taken.
    /// </remarks>
    public Tensor Normalize(Tensor x, bool runHooks)
    {
        if (Type == NormalizationType.None)
            return x;
        bool centre = Type is NormalizationType.LayerNorm or NormalizationType.LayerNormPre;
        bool inPlace = !is_grad_enabled();
        if (centre)
            x = x - x.mean([-1L], keepdim: true);  // fresh: ours to write into
        Tensor scale;
        using (var square = x.pow(2))
        {
            var meanSquare = square.mean([-1L], keepdim: true);  // [batch, pos, 1]
            scale = inPlace ? meanSquare.add_(_eps).sqrt_() : (meanSquare + _eps).sqrt();
        }
        if (runHooks)
            scale = hook_scale.Run(scale);
        bool hooked = runHooks && hook_normalized.HasHooks;
        Tensor Hook(Tensor t) => runHooks ? hook_normalized.Run(t) : t;
        switch (Type)
        {
            case NormalizationType.LayerNorm:
            {
                var normalized = inPlace ? x.div_(scale) : x / scale;
                return Hook(inPlace ? normalized.mul_(w!).add_(b!) : normalized * w! + b!);
            }
            case NormalizationType.RMSNorm:
            {
                var normalized = Hook(x / scale);
                return inPlace && !hooked ? normalized.mul_(w!) : normalized * w!;
            }
            case NormalizationType.LayerNormPre:
                return Hook(inPlace ? x.div_(scale) : x / scale);
            default:
                return Hook(x / scale);
        }
    }
}
