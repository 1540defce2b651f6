namespace Arrakis;

/// <summary>MLP activation functions (TransformerLens <c>act_fn</c>).</summary>
public enum ActivationFunction
{
    /// <summary><c>gelu_new</c>: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's tanh approximation.</summary>
    GeluNew,

    /// <summary><c>gelu</c>: x·Φ(x) with the exact error function.</summary>
    Gelu,

    /// <summary><c>relu</c>: max(0, x).</summary>
    Relu,

    /// <summary><c>silu</c>: x·σ(x) (Llama's SwiGLU uses it on the gate).</summary>
    Silu,

    /// <summary><c>solu_ln</c>: x·softmax(x) over d_mlp followed by a LayerNorm (<c>mlp.ln</c>, hooks <c>mlp.hook_mid</c>).</summary>
    SoluLn,
}
