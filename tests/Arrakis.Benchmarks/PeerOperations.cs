using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// The operations timed against the PyTorch peer (<see cref="PyTorchPeer"/>; the commands of the same names in
/// <c>Python/tl_style_gpt2.py</c> do the same there), each returning the value the peer also reports as its "check":
/// logit [0, 0, 0], or the loss. Shared by <see cref="ForwardVersusPyTorchProbe"/> and tests/gpu/Arrakis.GpuCheck.
/// </summary>
internal static class PeerOperations
{
    /// <summary>The operation called <paramref name="name"/> (forward, cache, ablate, backward).</summary>
    public static double Run(string name, HookedTransformer model, Tensor tokens) => name switch
    {
        "forward" => Forward(model, tokens),
        "cache" => Cache(model, tokens),
        "ablate" => Ablate(model, tokens),
        "backward" => Backward(model, tokens),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "expected forward, cache, ablate or backward"),
    };

    /// <summary>A forward pass without autograd.</summary>
    public static double Forward(HookedTransformer model, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Check(model.Forward(tokens));
    }

    /// <summary><c>RunWithCache</c> of every hook point; the cache is disposed.</summary>
    public static double Cache(HookedTransformer model, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var (logits, cache) = model.RunWithCache(tokens);
        cache.Dispose();
        return Check(logits);
    }

    /// <summary>A forward pass with head 0 of layer 0 zeroed in place through a hook on <c>hook_z</c>.</summary>
    public static double Ablate(HookedTransformer model, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var head = tensor(new long[] { 0 }, device: tokens.device);
        using var noGrad = no_grad();
        return Check(model.RunWithHooks(tokens, [new Hook("blocks.0.attn.hook_z", (z, _) => z.index_fill_(2, head, 0.0))]));
    }

    /// <summary>Next-token cross-entropy (in float32, as the peer) and its backward pass; the gradients are dropped.</summary>
    public static double Backward(HookedTransformer model, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        model.zero_grad(set_to_none: true);
        double loss;
        using (var grad = enable_grad())
        {
            var logits = model.Forward(tokens);
            long vocab = logits.shape[2];
            var value = nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, vocab).to(ScalarType.Float32), tokens[.., 1..].reshape(-1));
            value.backward();
            loss = value.item<float>();
        }
        model.zero_grad(set_to_none: true);
        return loss;
    }

    private static double Check(Tensor logits) => logits[0, 0, 0].to(ScalarType.Float32).item<float>();
}
