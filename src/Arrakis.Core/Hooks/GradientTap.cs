using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Hooks;

/// <summary>
/// An identity autograd function whose backward pass runs a hook point's backward hooks on the gradient
/// (TorchSharp 0.107 has no <c>Tensor.register_hook</c>; a custom <see cref="autograd.SingleTensorFunction{T}"/> does the same).
/// </summary>
internal sealed class GradientTap : autograd.SingleTensorFunction<GradientTap>
{
    public override string Name => nameof(GradientTap);

    /// <summary>vars: [Tensor activation, Func&lt;Tensor, Tensor&gt; onGradient].</summary>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data("onGradient", vars[1]);
        return ((Tensor)vars[0]).alias();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var onGradient = (Func<Tensor, Tensor>)ctx.get_data("onGradient");
        return [onGradient(gradOutput)];
    }
}
