using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Logit;

/// <summary>
/// The built-in <c>logit</c> tool (see <see cref="ILogitAttributor"/> and docs/tools/logit.md). Thin: direct logit
/// attribution is <see cref="ActivationCache.LogitAttrs(Tensor, long, long?, Slice?, Slice?, bool)"/> over
/// <see cref="ActivationCache.GetFullResidDecomposition"/>, the per-source split is <see cref="SourceTokenAttribution"/>,
/// the layer-by-layer view is <see cref="TokenCirculation"/>.
/// </summary>
public sealed class LogitAttributor : ILogitAttributor, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public LogitAttributor() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public LogitAttributor(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new LogitAttributor(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("logit");

    /// <summary>
    /// (a) attrᵢ = LN_frozen(cᵢ)·W_U[:, t] over the final stream's components, Σᵢ attrᵢ = logit − b_U[t] (− b_ln·W_U[:, t]);
    /// (b) attr[h, s] = A_h[q, s]·LN_frozen(v_h[s]·W_O[h])·W_U[:, t], Σ_s attr[h, s] = attr_h;
    /// optional: ∂logit/∂e_p · e_p (approximate).
    /// </summary>
    public LogitAttributionResult LogitAttribution(Tensor inputIds, long targetIdx, int position = -1, int batchIndex = 0, bool perNeuron = false,
        bool gradientTimesEmbedding = false)
    {
        var model = Model;
        var cfg = model.Cfg;
        var tokens = ToolArguments.Tokens(inputIds, cfg);
        ToolArguments.Token(targetIdx, cfg, nameof(targetIdx));
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        int q = ToolArguments.Position(position, tokens.shape[1]);

        using var scope = NewDisposeScope();
        var sequence = tokens[b].unsqueeze(0);                       // [1, pos]
        long[] ids = sequence[0].cpu().data<long>().ToArray();
        List<LabeledValue> components;
        List<HeadSourceAttribution> heads;
        List<SourceAttribution> sources;
        double logit;
        using (no_grad())
        {
            var (logits, cache) = model.RunWithCache(sequence);
            using (cache)
            {
                logit = logits[0, q, targetIdx].item<float>();
                // (a) The final stream at q as the sum of its components, each through the frozen final norm onto W_U[:, t].
                var stack = cache.GetFullResidDecomposition(cfg.NLayers, expandNeurons: perNeuron, posSlice: q);   // [components, 1, d_model]
                double[] attrs = Doubles(cache.LogitAttrs(stack.Stack, targetIdx, posSlice: q)[.., 0]);
                components = stack.Labels.Select((label, i) => new LabeledValue(label, attrs[i])).ToList();

                // (b) Each head's attribution split over the source positions it attends to.
                using var split = SourceTokenAttribution.Compute(cache, targetIdx, q, batchIndex: 0);
                heads = [];
                for (int l = 0; l < cfg.NLayers; l++)
                    for (int h = 0; h < cfg.NHeads; h++)
                        heads.Add(new HeadSourceAttribution(new HeadIndex(l, h), split.PerHead[l, h].item<float>(), Doubles(split.PerHeadPerSource[l, h])));
                double[] perSource = Doubles(split.PerSource);
                sources = perSource.Select((value, s) => new SourceAttribution(s, ids[s], value)).ToList();
            }
        }
        double bias = model.EffectiveUnembedBias[targetIdx].item<float>();
        var approximate = gradientTimesEmbedding ? GradientTimesEmbedding(model, sequence, targetIdx, q, ids) : null;
        return new LogitAttributionResult(targetIdx, q, b, logit, bias, components, heads, sources, approximate);
    }

    /// <summary>For each layer l ≤ nLayers: lens logit/probability/rank of resid_post[l], and the layer's attention and MLP direct moves.</summary>
    public TokenCirculationResult TrackTokenCirculation(Tensor inputIds, long targetToken, int nLayers = 5, int position = -1, int batchIndex = 0)
    {
        var model = Model;
        var cfg = model.Cfg;
        var tokens = ToolArguments.Tokens(inputIds, cfg);
        ToolArguments.Token(targetToken, cfg, nameof(targetToken));
        ToolArguments.AtLeastOne(nLayers, nameof(nLayers), $" (values above {cfg.NLayers}, this model's depth, are capped)");
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        int q = ToolArguments.Position(position, tokens.shape[1]);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, cache) = model.RunWithCache(tokens[b].unsqueeze(0));
        using (cache)
            return new TokenCirculationResult(targetToken, q, b, TokenCirculation.Track(cache, targetToken, nLayers, q, batchIndex: 0));
    }

    /// <summary>∂logit[q, t]/∂e_p · e_p for every position p, e the token embedding (hook_embed): a first-order term, not exact.</summary>
    private static List<SourceAttribution> GradientTimesEmbedding(HookedTransformer model, Tensor sequence, long target, int q, long[] ids)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        Tensor? embedding = null;
        try
        {
            // The embedding as a leaf of its own (kept out of the forward pass's dispose scope), so autograd.grad can
            // differentiate with respect to it without accumulating gradients in the model's parameters.
            var logits = model.RunWithHooks(sequence, [new Hook("hook_embed", (e, _) => embedding = e.detach().requires_grad_(true).DetachFromDisposeScope())]);
            var gradient = torch.autograd.grad([logits[0, q, target]], [embedding!])[0];   // [1, pos, d_model]
            double[] values = Doubles((gradient * embedding!).sum(-1)[0]);
            return values.Select((value, p) => new SourceAttribution(p, ids[p], value)).ToList();
        }
        finally
        {
            embedding?.Dispose();
        }
    }

    private static double[] Doubles(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).data<double>().ToArray();
}
