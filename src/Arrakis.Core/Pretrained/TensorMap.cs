using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Pretrained;

/// <summary>
/// One tensor of a checkpoint layout and the model parameters it holds: its name and shape in the file, the
/// TransformerLens parameter names it fills, and the two pure reshapes between them.
/// </summary>
/// <remarks>
/// Without <see cref="Split"/>/<see cref="Join"/> the file tensor has the parameter's memory layout (same elements in
/// the same order; the shapes may differ, e.g. <c>c_proj</c> [n_heads·d_head, d_model] and <c>W_O</c>
/// [n_heads, d_head, d_model]): loading reads the bytes straight into the parameter. Otherwise the file tensor is
/// loaded once and <see cref="Split"/> gives one tensor per target (views where possible).
/// </remarks>
internal sealed record TensorMap(string Name, long[] Shape, string[] Targets, Func<Tensor, Tensor[]>? Split = null, Func<Tensor[], Tensor>? Join = null)
{
    /// <summary>Whether the file tensor is the parameter's bytes.</summary>
    public bool IsDirect => Split is null;

    /// <summary>A parameter that receives the transpose of the (direct) first target once it is loaded: a tied
    /// unembedding W_U = W_Eᵀ. It is not written back (the writer checks the tie holds exactly).</summary>
    public string? TransposedCopy { get; init; }

    /// <summary>The embedding [d_vocab, d_model], read straight into W_E; with <paramref name="tied"/> W_U gets its transpose.</summary>
    public static TensorMap Embedding(string name, long vocab, long dModel, bool tied) =>
        new(name, [vocab, dModel], ["embed.W_E"]) { TransposedCopy = tied ? "unembed.W_U" : null };

    /// <summary>The same elements in the same order (a reshape at most).</summary>
    public static TensorMap Same(string name, long[] shape, string target) => new(name, shape, [target]);

    /// <summary>A <c>nn.Linear</c> weight [out, in] for a TransformerLens matrix [in, out].</summary>
    public static TensorMap Linear(string name, long outFeatures, long inFeatures, string target) =>
        new(name, [outFeatures, inFeatures], [target], hf => [hf.t()], tl => tl[0].t());

    /// <summary>A <c>nn.Linear</c> weight [heads·d_head, d_model] for a per-head reader [heads, d_model, d_head] (W_Q, W_K, W_V).</summary>
    public static TensorMap LinearHeadsIn(string name, long heads, long dHead, long dModel, string target) =>
        new(name, [heads * dHead, dModel], [target],
            hf => [HeadsInFromLinear(hf, heads, dHead, dModel)],
            tl => HeadsInToLinear(tl[0], heads, dHead, dModel));

    /// <summary>A <c>nn.Linear</c> weight [d_model, heads·d_head] for W_O [heads, d_head, d_model].</summary>
    public static TensorMap LinearHeadsOut(string name, long heads, long dHead, long dModel, string target) =>
        new(name, [dModel, heads * dHead], [target],
            hf => [hf.t().reshape(heads, dHead, dModel)],
            tl => tl[0].reshape(heads * dHead, dModel).t());

    /// <summary>Rows [heads·d_head, d_model] of a Linear weight → [heads, d_model, d_head].</summary>
    public static Tensor HeadsInFromLinear(Tensor rows, long heads, long dHead, long dModel) =>
        rows.reshape(heads, dHead, dModel).transpose(1, 2);

    /// <summary>[heads, d_model, d_head] → Linear rows [heads·d_head, d_model].</summary>
    public static Tensor HeadsInToLinear(Tensor perHead, long heads, long dHead, long dModel) =>
        perHead.transpose(1, 2).reshape(heads * dHead, dModel);

    /// <summary>The shape as text, e.g. <c>[768, 2304]</c>.</summary>
    public static string ShapeText(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
