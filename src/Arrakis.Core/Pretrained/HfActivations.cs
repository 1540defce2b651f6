namespace Arrakis.Pretrained;

/// <summary>Hugging Face activation names (<c>hidden_act</c>, <c>activation_function</c>) ↔ <see cref="ActivationFunction"/>.</summary>
internal static class HfActivations
{
    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public const string Supported = "gelu_new, gelu_pytorch_tanh, gelu_fast, gelu, relu, silu, swish";

    /// <summary>
    /// The activation for a Hugging Face name. <c>gelu_new</c>, <c>gelu_pytorch_tanh</c> and <c>gelu_fast</c> are the
    /// same tanh approximation; <c>gelu</c> is the exact one.
    /// </summary>
    public static ActivationFunction Parse(HfConfig config, string field, string value) => value switch
    {
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => ActivationFunction.GeluNew,
        "gelu" => ActivationFunction.Gelu,
        "relu" => ActivationFunction.Relu,
        "silu" or "swish" => ActivationFunction.Silu,
        _ => throw new NotSupportedException(
            $"{config.Path}: {field} '{value}' is not supported; supported: {Supported}."),
    };

    /// <summary>The Hugging Face name to write for an activation.</summary>
    public static string Name(ActivationFunction function, string tanhName = "gelu_new") => function switch
    {
        ActivationFunction.GeluNew => tanhName,
        ActivationFunction.Gelu => "gelu",
        ActivationFunction.Relu => "relu",
        ActivationFunction.Silu => "silu",
        // Not a Hugging Face activation: written as is, so the architecture check names it.
        var other => other.ToString(),
    };
}
