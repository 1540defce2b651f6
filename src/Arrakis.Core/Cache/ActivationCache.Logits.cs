using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Direct logit attribution.</summary>
public sealed partial class ActivationCache
{
    /// <summary>
    /// Direct logit attribution (TL <c>logit_attrs</c>): each component's frozen-final-norm contribution to a token's logit,
    /// attr_i = ApplyLnToStack(c_i) · (W_U[:, t] ⊙ ln_final.w). Over a full decomposition of the final residual stream the
    /// attributions sum to logit[t] − b_U[t] − ln_final.b·W_U[:, t] (exactly logit − b_U after fold_ln). With
    /// <paramref name="incorrectTokens"/>, attributes the logit difference t − t′.
    /// </summary>
    /// <param name="residualStack">[components, *batch_and_pos_dims, d_model] over the final residual stream.</param>
    /// <param name="tokens">int64 [] (one token), [batch] or [batch, pos], broadcast against the stack's batch/pos dims.</param>
    /// <param name="incorrectTokens">Same shape as <paramref name="tokens"/>.</param>
    /// <returns>[components, *batch_and_pos_dims].</returns>
    public Tensor LogitAttrs(Tensor residualStack, Tensor tokens, Tensor? incorrectTokens = null, Slice? posSlice = null, Slice? batchSlice = null,
        bool hasBatchDim = true)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (incorrectTokens is not null && !incorrectTokens.shape.SequenceEqual(tokens.shape))
            throw new ArgumentException(
                $"incorrectTokens has shape [{string.Join(", ", incorrectTokens.shape)}]; it must match tokens [{string.Join(", ", tokens.shape)}].", nameof(incorrectTokens));
        using var scope = NewDisposeScope();
        var directions = Model.TokensToResidualDirections(tokens);
        if (incorrectTokens is not null)
            directions = directions - Model.TokensToResidualDirections(incorrectTokens);
        var scaled = ApplyLnToStack(residualStack, null, posSlice: posSlice, batchSlice: batchSlice, hasBatchDim: hasBatchDim);
        return (scaled * directions.to(scaled.dtype)).sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="LogitAttrs(Tensor, Tensor, Tensor?, Slice?, Slice?, bool)"/> for one token id (and optionally one incorrect id).</summary>
    public Tensor LogitAttrs(Tensor residualStack, long token, long? incorrectToken = null, Slice? posSlice = null, Slice? batchSlice = null, bool hasBatchDim = true) =>
        LogitAttrs(residualStack, tensor(token, device: Model.Device), incorrectToken is { } t ? tensor(t, device: Model.Device) : null, posSlice, batchSlice, hasBatchDim);
}
