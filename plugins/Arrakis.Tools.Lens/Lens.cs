using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Lens;

/// <summary>
/// The built-in <c>lens</c> tool (see <see cref="ILens"/> and docs/tools/lens.md). Thin: the read-outs are
/// <see cref="Arrakis.LogitLens"/> and <see cref="Arrakis.TunedLens"/>; this file turns log-probabilities into grids.
/// </summary>
public sealed class Lens : ILens, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public Lens() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public Lens(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new Lens(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("lens");

    /// <inheritdoc />
    public LensResult LogitLens(Tensor inputIds, long? targetToken = null, int topK = 5, int batchIndex = 0, bool freezeFinalScale = false) =>
        Grid(inputIds, targetToken, topK, batchIndex, freezeFinalScale ? "logit lens (frozen final scale)" : "logit lens",
            cache => Arrakis.LogitLens.LogProbs(cache, 0, freezeFinalScale));

    /// <inheritdoc />
    public TunedLens TrainTunedLens(Tensor tokens, TunedLensOptions? options = null, IProgress<TunedLensProgress>? progress = null) =>
        TunedLens.Train(Model, ToolArguments.Tokens(tokens, Model.Cfg, nameof(tokens)), options, progress);

    /// <inheritdoc />
    public LensResult ApplyTunedLens(Tensor inputIds, TunedLens tunedLens, long? targetToken = null, int topK = 5, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(tunedLens);
        return Grid(inputIds, targetToken, topK, batchIndex, "tuned lens", cache => tunedLens.LogProbs(cache, 0));
    }

    /// <inheritdoc />
    public LensComparisonResult CompareLenses(Tensor inputIds, TunedLens tunedLens)
    {
        ArgumentNullException.ThrowIfNull(tunedLens);
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg).to(model.Device);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, cache) = model.RunWithCache(tokens, Names(model));
        using (cache)
        {
            Tensor logitKl = zeros(model.Cfg.NLayers + 1, dtype: float64, device: model.Device), tunedKl = zeros_like(logitKl);
            IReadOnlyList<string> labels = [];
            for (int b = 0; b < tokens.shape[0]; b++)
            {
                using var logit = Arrakis.LogitLens.LogProbs(cache, b);
                using var tuned = tunedLens.LogProbs(cache, b);
                labels = logit.Labels;
                logitKl += Arrakis.LogitLens.KlFromFinal(logit.Stack[^1], logit.Stack).mean([-1L]).to(float64);
                tunedKl += Arrakis.LogitLens.KlFromFinal(tuned.Stack[^1], tuned.Stack).mean([-1L]).to(float64);
            }
            double[] l = (logitKl / tokens.shape[0]).cpu().data<double>().ToArray(), t = (tunedKl / tokens.shape[0]).cpu().data<double>().ToArray();
            return new LensComparisonResult(labels.Select((label, i) => new LensKl(label, l[i], t[i])).ToList());
        }
    }

    /// <summary>One sequence's lens grid from the log-probabilities [layers, pos, d_vocab] a read-out gives for its cache.</summary>
    private LensResult Grid(Tensor inputIds, long? targetToken, int topK, int batchIndex, string lens, Func<ActivationCache, LabeledStack> readOut)
    {
        var model = Model;
        var cfg = model.Cfg;
        var tokens = ToolArguments.Tokens(inputIds, cfg);
        if (targetToken is { } t) ToolArguments.Token(t, cfg, nameof(targetToken));
        ToolArguments.AtLeastOne(topK, nameof(topK));
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sequence = tokens[b].unsqueeze(0).to(model.Device);
        var (_, cache) = model.RunWithCache(sequence, Names(model));
        using (cache)
        {
            using var logProbs = readOut(cache);                                          // [layers, pos, d_vocab]
            var lp = logProbs.Stack.to(float32).cpu();
            var final = lp[^1];                                                           // [pos, d_vocab]
            var targets = targetToken is { } id ? full(lp.shape[1], id, dtype: int64, device: lp.device) : final.argmax(-1);   // [pos]
            var targetLp = lp.gather(-1, targets.view(1, -1, 1).expand(lp.shape[0], -1, 1));                // [layers, pos, 1]
            long[] ranks = lp.gt(targetLp).sum(-1).data<long>().ToArray();
            float[] targetProbs = targetLp.squeeze(-1).exp().data<float>().ToArray();
            float[] kl = Arrakis.LogitLens.KlFromFinal(final, lp).data<float>().ToArray();   // [layers, pos]
            var (topValues, topIndices) = lp.topk((int)Math.Min(topK, cfg.DVocab), dim: -1);
            float[] topP = topValues.exp().data<float>().ToArray();
            long[] topIds = topIndices.data<long>().ToArray();
            long[] targetIds = targets.data<long>().ToArray();
            int layers = (int)lp.shape[0], positions = (int)lp.shape[1], k = (int)topIndices.shape[2];
            var rows = new List<LensLayer>();
            for (int l = 0; l < layers; l++)
            {
                var cells = new List<LensCell>();
                for (int p = 0; p < positions; p++)
                {
                    int cell = l * positions + p;
                    var top = Enumerable.Range(0, k).Select(i => new TokenProbability(topIds[cell * k + i], topP[cell * k + i])).ToList();
                    cells.Add(new LensCell(p, top, targetIds[p], ranks[cell], targetProbs[cell], kl[cell]));
                }
                rows.Add(new LensLayer(logProbs.Labels[l], cells));
            }
            return new LensResult(lens, b, sequence[0].cpu().data<long>().ToArray(), rows);
        }
    }

    /// <summary>The hook points a lens reads: every resid_pre, the last resid_post and ln_final's scale.</summary>
    private static List<string> Names(HookedTransformer model)
    {
        var names = Enumerable.Range(0, model.Cfg.NLayers).Select(l => ActNames.GetActName("resid_pre", l)).ToList();
        names.Add(ActNames.GetActName("resid_post", model.Cfg.NLayers - 1));
        if (model.ln_final.Type != NormalizationType.None) names.Add("ln_final.hook_scale");
        return names;
    }
}
