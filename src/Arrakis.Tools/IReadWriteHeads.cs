namespace Arrakis.Tools;

/// <summary>
/// What heads read and write, from the weights alone (Arrakis <c>WriteReadAnalyzer</c>, <c>@exp.use_tools("readwrite")</c>):
/// full OV and QK circuits in token and position space, the copying score, and TransformerLens's SVD interpreter. See
/// docs/tools/readwrite.md.
/// </summary>
/// <remarks>
/// Circuits use the weights as they are, without biases or layer norms: <c>FromPretrained</c> folds the norms in by
/// default (TL's fold_ln); call <c>ProcessWeights()</c> on a model built otherwise.
/// </remarks>
[Tool("readwrite")]
public interface IReadWriteHeads
{
    /// <summary>
    /// Row s of the full OV circuit W_E·W_V·W_O·W_U: the <paramref name="topK"/> tokens whose logits head
    /// <paramref name="head"/> raises most when it attends to token <paramref name="sourceToken"/>, with the head's copying
    /// score Σ Re λ / Σ |λ| over the eigenvalues of that circuit (A Mathematical Framework; 1 = a pure copying head).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A head, token or count out of range.</exception>
    OvCircuitResult OvCircuit(HeadIndex head, long sourceToken, int topK = 10);

    /// <summary>Every head's copying score (see <see cref="OvCircuit"/>), in (layer, head) order.</summary>
    CopyingScoresResult CopyingScores();

    /// <summary>
    /// Row q of the full QK circuit W_E·W_Q·W_Kᵀ·W_Eᵀ: the <paramref name="topK"/> key tokens a query token
    /// <paramref name="queryToken"/> scores highest through the token embeddings.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A head, token or count out of range.</exception>
    QkCircuitResult QkCircuit(HeadIndex head, long queryToken, int topK = 10);

    /// <summary>
    /// The positional QK circuit W_pos·W_Q·W_Kᵀ·W_posᵀ: for every query position q, the key position k ≤ q it scores
    /// highest, and the share of queries q ≥ 1 whose preferred key is q − 1 (a previous-token head's signature).
    /// </summary>
    /// <exception cref="InvalidOperationException">No learned positional embedding.</exception>
    PositionalQkResult PositionalQk(HeadIndex head);

    /// <summary>
    /// TransformerLens's <c>SVDInterpreter</c>: the top singular directions of a head's W_OV or W_QK, or of an MLP's
    /// W_out, each projected onto the vocabulary (OV, W_out: v·W_U; QK: key side, W_E·v), both ends listed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A layer, head or count out of range.</exception>
    /// <exception cref="InvalidOperationException">MlpOut on an attention-only model.</exception>
    SvdInterpreterResult SvdInterpreter(SvdTarget target, int layer, int head = 0, int vectors = 5, int topK = 10);
}
