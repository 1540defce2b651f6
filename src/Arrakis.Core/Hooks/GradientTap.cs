using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Hooks;

/// <summary>
/// An identity autograd function whose backward pass runs a hook point's backward hooks on the gradient
/// (TorchSharp 0.107 has no <c>Tensor.register_hook</c>; a custom <see cref="autograd.SingleTensorFunction{T}"/> does the same).
/// </summary>
/// <remarks>
/// An exception escaping a backward callback would cross native code and end the process: the callback must not throw
/// (<see cref="HookPoint"/> catches its hooks' exceptions and reports them after <c>backward()</c> returns); as a last
/// resort, anything that still escapes is swallowed here and the gradient passes through unchanged.
/// </remarks>
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
        try
        {
            return [onGradient(gradOutput), null!];
        }
        catch (Exception)
        {
            return [gradOutput, null!];
        }
    }
}
