using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>One singular direction of a weight matrix, read in token space.</summary>
/// <param name="Index">Its rank among the singular values (0 = largest).</param>
/// <param name="SingularValue">σ.</param>
/// <param name="Top">The tokens the direction points to most (largest projections), with the projections.</param>
/// <param name="Bottom">The tokens at the opposite end (most negative projections): a singular vector's sign is arbitrary.</param>
public sealed record SingularDirection(int Index, double SingularValue, IReadOnlyList<(long Token, double Value)> Top, IReadOnlyList<(long Token, double Value)> Bottom);

/// <summary>
/// TransformerLens's <c>SVDInterpreter</c>: the singular value decomposition M = U·diag(σ)·Vᵀ of a head's W_OV or W_QK, or
/// of an MLP's W_out, with each of the top right singular vectors v_i (d_model, the side the matrix writes or, for QK, the
/// key side) projected onto the vocabulary: v_i·W_U for OV and W_out (which tokens the direction promotes), W_E·v_i for
/// QK (which key tokens it attends to). Singular vectors' signs are arbitrary, so both ends are reported.
/// </summary>
public static class SvdInterpreter
{
    /// <summary>The top <paramref name="vectors"/> singular directions of the target, each with its <paramref name="topK"/> tokens at either end.</summary>
    /// <param name="model">The model.</param>
    /// <param name="target">OV, QK or MlpOut.</param>
    /// <param name="layer">The layer.</param>
    /// <param name="head">The head (OV, QK); ignored for MlpOut.</param>
    /// <param name="vectors">How many singular directions, at least 1 (capped at the rank bound).</param>
    /// <param name="topK">Tokens per end, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A layer, head or count out of range.</exception>
    /// <exception cref="InvalidOperationException">MlpOut on an attention-only model.</exception>
    public static IReadOnlyList<SingularDirection> Interpret(HookedTransformer model, SvdTarget target, int layer, int head = 0, int vectors = 5, int topK = 10)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Cfg;
        if (layer < 0 || layer >= cfg.NLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer is {layer}; expected a layer in [0, {cfg.NLayers}).");
        if (target != SvdTarget.MlpOut) new HeadIndex(layer, head).Validate(cfg, nameof(head));
        if (vectors < 1) throw new ArgumentOutOfRangeException(nameof(vectors), vectors, $"vectors is {vectors}; expected at least 1.");
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"topK is {topK}; expected at least 1.");
        if (target == SvdTarget.MlpOut && cfg.AttnOnly)
            throw new InvalidOperationException($"{cfg.ModelName} is attention-only: it has no MLP output weights to decompose.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor s, v;   // σ [r], right singular vectors as rows [r, d_model]
        switch (target)
        {
            case SvdTarget.OV:
            case SvdTarget.QK:
                using (var circuit = target == SvdTarget.OV ? model.OV : model.QK)
                using (var one = circuit[layer][head])
                {
                    var (_, sv, vh) = one.Svd();
                    (s, v) = (sv, vh);
                }
                break;
            case SvdTarget.MlpOut:
            {
                var (_, sv, vh) = linalg.svd(model.W_out[layer], fullMatrices: false);
                (s, v) = (sv, vh);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target, $"target is {target}; expected OV, QK or MlpOut.");
        }
        int count = (int)Math.Min(vectors, s.shape[0]);
        var directions = v[..count];                                                        // [count, d_model]
        var projected = target == SvdTarget.QK ? directions.matmul(model.W_E.T) : directions.matmul(model.W_U);   // [count, d_vocab]
        int k = (int)Math.Min(topK, projected.shape[1]);
        var (topValues, topIds) = projected.topk(k, dim: -1);
        var (bottomValues, bottomIds) = projected.topk(k, dim: -1, largest: false);
        float[] sigma = s[..count].cpu().data<float>().ToArray();
        float[] tv = topValues.cpu().data<float>().ToArray(), bv = bottomValues.cpu().data<float>().ToArray();
        long[] ti = topIds.cpu().data<long>().ToArray(), bi = bottomIds.cpu().data<long>().ToArray();
        return Enumerable.Range(0, count).Select(i => new SingularDirection(i, sigma[i],
            Enumerable.Range(0, k).Select(j => (ti[i * k + j], (double)tv[i * k + j])).ToList(),
            Enumerable.Range(0, k).Select(j => (bi[i * k + j], (double)bv[i * k + j])).ToList())).ToList();
    }
}
