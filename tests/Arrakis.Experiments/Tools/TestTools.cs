using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Experiments.Tools;

/// <summary>Residual decomposition from one cached forward pass.</summary>
public sealed class ResidualDecomposer(HookedTransformer model) : IResidualDecomposer
{
    public IReadOnlyDictionary<string, Tensor> DecomposeResidual(Tensor inputIds, int layerIdx)
    {
        var (logits, cache) = model.RunWithCache(inputIds);
        logits.Dispose();
        using (cache)
        {
            var parts = new Dictionary<string, Tensor> { ["embed"] = cache["hook_embed"].clone() }; // [batch, pos, d_model]
            if (cache.ContainsKey("hook_pos_embed")) parts["pos_embed"] = cache["hook_pos_embed"].clone();
            for (int l = 0; l < layerIdx; l++)
            {
                parts[$"{l}_attn_out"] = cache[$"blocks.{l}.hook_attn_out"].clone();
                if (cache.ContainsKey($"blocks.{l}.hook_mlp_out")) parts[$"{l}_mlp_out"] = cache[$"blocks.{l}.hook_mlp_out"].clone();
            }
            return parts;
        }
    }

    public IReadOnlyList<string> TopComponents(Tensor inputIds, int layerIdx, int topK = 10) =>
        DecomposeResidual(inputIds, layerIdx)
            .OrderByDescending(p => p.Value[.., -1].norm().item<float>())
            .Take(topK)
            .Select(p => p.Key)
            .ToList();
}

/// <summary>Direct logit attribution through the unembedding (final norm ignored, as Arrakis does).</summary>
public sealed class LogitAttributor(HookedTransformer model, IResidualDecomposer decomposer) : ILogitAttributor
{
    public IReadOnlyDictionary<string, double> LogitAttribution(Tensor inputIds, int targetIdx)
    {
        using var scope = NewDisposeScope();
        Tensor direction = model.W_U[.., targetIdx]; // [d_model]
        return decomposer.DecomposeResidual(inputIds, model.Cfg.NLayers)
            .ToDictionary(p => p.Key, p => (double)p.Value[0, -1].dot(direction).item<float>());
    }

    public IReadOnlyList<double> TrackTokenCirculation(Tensor inputIds, int targetToken, int nLayers = 5)
    {
        using var scope = NewDisposeScope();
        Tensor direction = model.W_U[.., targetToken]; // [d_model]
        var (logits, cache) = model.RunWithCache(inputIds, name => name.EndsWith("hook_resid_post"));
        using (cache)
        {
            return Enumerable.Range(0, Math.Min(nLayers, model.Cfg.NLayers))
                .Select(l => (double)cache[$"blocks.{l}.hook_resid_post"][0, -1].dot(direction).item<float>())
                .ToList();
        }
    }
}

/// <summary>Head composition scores from the weights, and path patching through hook_z.</summary>
public sealed class AttentionComposer(HookedTransformer model) : IAttentionComposer
{
    public double HeadComposition((int Layer, int Head) head1, (int Layer, int Head) head2, double alpha)
    {
        using var scope = NewDisposeScope();
        Tensor ov = model.W_V[head1.Layer, head1.Head].matmul(model.W_O[head1.Layer, head1.Head]); // [d_model, d_model]
        Tensor qk = model.W_Q[head2.Layer, head2.Head].matmul(model.W_K[head2.Layer, head2.Head].T); // [d_model, d_model]
        double Score(Tensor product, Tensor a, Tensor b) =>
            product.norm().item<float>() / (a.norm().item<float>() * b.norm().item<float>());
        return alpha * Score(ov.matmul(qk), ov, qk) + (1 - alpha) * Score(qk.matmul(ov.T), qk, ov);
    }

    public double AttentionPathPatching(Tensor inputIds, (int Layer, int Head) head1, (int Layer, int Head) head2)
    {
        using var scope = NewDisposeScope();
        string pattern = $"blocks.{head2.Layer}.attn.hook_pattern";
        Tensor Pattern()
        {
            var (logits, cache) = model.RunWithCache(inputIds, name => name == pattern);
            using (cache) return cache[pattern][0, head2.Head].clone(); // [query_pos, key_pos]
        }
        Tensor clean = Pattern();
        using (model.Hooks([new Hook($"blocks.{head1.Layer}.attn.hook_z", (z, _) =>
        {
            Tensor ablated = z.clone(); // [batch, pos, head, d_head]
            ablated[.., .., head1.Head] = zeros_like(ablated[.., .., head1.Head]);
            return ablated;
        })]))
        {
            return (Pattern() - clean).abs().mean().item<float>();
        }
    }
}
