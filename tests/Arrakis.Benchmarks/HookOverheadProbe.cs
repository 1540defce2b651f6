using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// The drift-resistant complement to <see cref="HookOverheadBenchmark"/> (same model, tokens and operations):
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- hook-overhead [rounds]</c> (<see cref="InterleavedProbe"/>:
/// shuffled rounds, medians of per-round ratios to the plain forward).
/// </summary>
internal static class HookOverheadProbe
{
    public static int Run(int rounds)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        var cfg = HookedAutoConfig.Create("gpt2", hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, maxPositionEmbeddings: 1024, seed: 0);
        using var model = new HookedTransformer(cfg);
        using var tokens = randint(0, cfg.DVocab, [4, 256], generator: new Generator(1));
        var operations = new (string Name, Func<object?> Run)[]
        {
            ("plain ops, no hook points", () => Logit(() => PlainGpt2Forward.Logits(model, tokens))),
            ("HookedTransformer.Forward, no hooks", () => Logit(() => model.Forward(tokens))),
            ("RunWithCache, every hook point cached", () =>
            {
                var (logits, cache) = model.RunWithCache(tokens);
                using (cache)
                using (logits)
                    return logits[0, 0, 0].item<float>();
            }),
        };
        InterleavedProbe.Run($"GPT-2-small shape, {tokens.shape[0]} × {tokens.shape[1]} tokens, {torch.get_num_threads()} threads", operations, rounds);
        return 0;
    }

    private static float Logit(Func<Tensor> forward)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return forward()[0, 0, 0].item<float>();
    }
}
