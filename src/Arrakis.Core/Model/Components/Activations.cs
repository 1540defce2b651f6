using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>The element-wise activation functions of <see cref="ActivationFunction"/>.</summary>
public static class Activations
{
    /// <summary>Applies <paramref name="function"/> element-wise. <c>SoluLn</c>'s softmax part is applied by the MLP.</summary>
    public static Tensor Apply(ActivationFunction function, Tensor x) => function switch
    {
        // PyTorch's tanh-approximate GELU is gelu_new's formula, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in one kernel.
        ActivationFunction.GeluNew => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        ActivationFunction.Gelu => nn.functional.gelu(x),
        ActivationFunction.Relu => nn.functional.relu(x),
        ActivationFunction.Silu => nn.functional.silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, "expected GeluNew, Gelu, Relu or Silu"),
    };
}
