using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Random initialisation (TransformerLens's default, GPT-2 style): every <c>W_*</c> ~ N(0, initializer_range²) with
/// initializer_range = 0.8/√d_model unless configured, biases 0, norm weights 1. Deterministic per
/// <see cref="HookedTransformerConfig.Seed"/>: parameters are drawn in registration order from one generator.
/// </summary>
internal static class WeightInitialization
{
    public static void Initialize(HookedTransformer model)
    {
        var cfg = model.Cfg;
        double std = cfg.InitializerRange ?? 0.8 / Math.Sqrt(cfg.DModel);
        var generator = new Generator((ulong)(cfg.Seed ?? 0));
        using var _ = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            string leaf = name[(name.LastIndexOf('.') + 1)..];
            if (leaf.StartsWith("W_", StringComparison.Ordinal))
                parameter.normal_(0, std, generator);
            else if (leaf == "w")
                parameter.fill_(1);
            else
                parameter.zero_();
        }
        if (cfg.TiedEmbeddings)
            model.unembed.W_U.copy_(model.embed.W_E.t());
    }
}
