using Arrakis.Sae;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

internal static class SaeTestData
{
    /// <summary>An SAE with seeded random weights (encoder not tied to the decoder, non-zero biases).</summary>
    public static SparseAutoencoder Random(SaeConfig config, long seed = 3)
    {
        var sae = new SparseAutoencoder(config);
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (_, p) in sae.named_parameters())
            p.copy_(randn(p.shape, generator: generator) * 0.3);
        if (sae.threshold is { } t)
            t.copy_(rand(t.shape, generator: generator) * 0.2);
        sae.NormalizeDecoderRows();
        return sae;
    }
}
