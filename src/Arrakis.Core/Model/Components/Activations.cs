using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>The element-wise activation functions of <see cref="ActivationFunction"/>.</summary>
public static class Activations
{
    private static readonly double GeluNewCoefficient = Math.Sqrt(2.0 / Math.PI);

    /// <summary>Applies <paramref name="function"/> element-wise. <c>SoluLn</c>'s softmax part is applied by the MLP.</summary>
    public static Tensor Apply(ActivationFunction function, Tensor x) => function switch
    {
        ActivationFunction.GeluNew => 0.5 * x * (1.0 + (GeluNewCoefficient * (x + 0.044715 * x.pow(3))).tanh()),
        ActivationFunction.Gelu => nn.functional.gelu(x),
        ActivationFunction.Relu => nn.functional.relu(x),
        ActivationFunction.Silu => nn.functional.silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, "expected GeluNew, Gelu, Relu or Silu"),
    };
}
