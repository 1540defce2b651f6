using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Data of a feature view (Arrakis's feature visualiser; SAE-Vis / Neuronpedia dashboards) for one unit — an MLP neuron
/// or a spliced SAE latent: its max-activating contexts with per-token activations, its activation histogram, and its
/// direct logit effects.
/// </summary>
public static class FeatureView
{
    /// <summary>
    /// The <paramref name="topK"/> positions with the largest activation of unit <paramref name="unit"/> at
    /// <paramref name="hookName"/> over <paramref name="tokenBatches"/>, each with the <paramref name="window"/> tokens
    /// before it (and itself) and the unit's activation on each; plus a histogram of its non-zero activations.
    /// </summary>
    public static FeatureActivations Activations(HookedTransformer model, string hookName, int unit, IEnumerable<Tensor> tokenBatches,
        int topK = 10, int window = 8, int histogramBins = 20)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.GetHookPoint(hookName);
        ArgumentOutOfRangeException.ThrowIfNegative(unit);
        var rows = new List<(long[] Tokens, float[] Acts)>();
        foreach (var tokens in tokenBatches)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            float[]? acts = null;
            long width = 0;
            using (model.Hooks([new Hook(hookName, (a, _) =>
                   {
                       width = a.shape[^1];
                       if (unit < width)
                           acts = a[.., .., unit].to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                       return null;
                   })]))
                model.Forward(tokens.to(model.Device));
            if (acts is null)
                throw new ArgumentOutOfRangeException(nameof(unit), unit, $"expected a unit in [0, {width}) of '{hookName}'.");
            long batch = tokens.shape[0], pos = tokens.shape[1];
            var ids = tokens.to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
            for (long b = 0; b < batch; b++)
                rows.Add((ids[(int)(b * pos)..(int)((b + 1) * pos)], acts[(int)(b * pos)..(int)((b + 1) * pos)]));
        }
        var all = rows.SelectMany((r, i) => r.Acts.Select((a, p) => (Row: i, Pos: p, Act: a))).ToList();
        var top = all.OrderByDescending(e => e.Act).Take(topK).Select(e =>
        {
            int start = Math.Max(0, e.Pos - window);
            var (ids, acts) = rows[e.Row];
            string[] text = model.Tokenizer is { } tokenizer ? ids[start..(e.Pos + 1)].Select(t => tokenizer.Decode(new[] { t })).ToArray() : [];
            return new MaxActivatingExample(e.Row, e.Pos, e.Act, ids[start..(e.Pos + 1)], text, acts[start..(e.Pos + 1)]);
        }).ToList();
        var nonZero = all.Where(e => e.Act > 0).Select(e => (double)e.Act).ToList();
        var histogram = new List<HistogramBin>();
        if (nonZero.Count > 0)
        {
            double max = nonZero.Max(), w = max / histogramBins;
            var counts = new int[histogramBins];
            foreach (double v in nonZero)
                counts[Math.Clamp((int)(v / w), 0, histogramBins - 1)]++;
            histogram = Enumerable.Range(0, histogramBins).Select(i => new HistogramBin(i * w, (i + 1) * w, counts[i])).ToList();
        }
        return new FeatureActivations(hookName, unit, top, histogram, nonZero.Count / (double)Math.Max(1, all.Count));
    }

    /// <summary>
    /// Direct logit effects of a residual-stream direction [d_model] (an SAE latent's <c>W_dec[i]</c>, or a neuron's
    /// <c>W_out[i]</c>): <c>direction · W_U</c> [d_vocab], its <paramref name="k"/> most positive and most negative tokens
    /// (the final LayerNorm is ignored, as in SAE dashboards).
    /// </summary>
    public static LogitEffects Logits(HookedTransformer model, Tensor direction, int k = 10)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(direction);
        if (direction.dim() != 1 || direction.shape[0] != model.Cfg.DModel)
            throw new ArgumentException($"direction has shape [{string.Join(", ", direction.shape)}]; expected [d_model = {model.Cfg.DModel}].", nameof(direction));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var effect = matmul(direction.to(model.unembed.W_U.dtype, model.Device), model.unembed.W_U).to(ScalarType.Float32).cpu();  // [d_vocab]
        int n = Math.Min(k, (int)effect.shape[0]);
        (int, float)[] Pick(bool largest)
        {
            var (values, indices) = effect.topk(n, largest: largest);
            var v = values.data<float>().ToArray();
            var i = indices.data<long>().ToArray();
            return i.Select((t, j) => ((int)t, v[j])).ToArray();
        }
        string Name(int t) => model.Tokenizer is { } tok ? tok.Decode(new[] { t }) : t.ToString();
        return new LogitEffects(Pick(true).Select(p => new TokenEffect(p.Item1, Name(p.Item1), p.Item2)).ToList(),
            Pick(false).Select(p => new TokenEffect(p.Item1, Name(p.Item1), p.Item2)).ToList());
    }
}

/// <summary>One max-activating context: the tokens up to and including the position, and the unit's activation on each.</summary>
public sealed record MaxActivatingExample(int Sequence, int Position, float Activation, long[] Tokens, string[] Text, float[] TokenActivations);

/// <summary>A unit's max-activating examples and activation histogram (<see cref="FeatureView.Activations"/>).</summary>
public sealed record FeatureActivations(string HookName, int Unit, IReadOnlyList<MaxActivatingExample> Top,
    IReadOnlyList<HistogramBin> Histogram, double Frequency);

/// <summary>A token and its direct logit effect.</summary>
public sealed record TokenEffect(int Token, string Text, float Effect);

/// <summary>The most positive and most negative direct logit effects of a direction (<see cref="FeatureView.Logits"/>).</summary>
public sealed record LogitEffects(IReadOnlyList<TokenEffect> Top, IReadOnlyList<TokenEffect> Bottom);
