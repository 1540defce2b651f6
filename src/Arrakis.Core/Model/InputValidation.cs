using Arrakis.Components;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Argument checks of <see cref="HookedTransformer"/> runs: each failure names the argument, the value and the valid range.</summary>
internal static class InputValidation
{
    /// <summary>Tokens as int64 [batch, pos] on the model's device; accepts [pos] and int32.</summary>
    public static Tensor Tokens(Tensor tokens, HookedTransformerConfig cfg, string argument)
    {
        ArgumentNullException.ThrowIfNull(tokens, argument);
        if (tokens.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Byte))
            throw new ArgumentException($"{argument} has dtype {tokens.dtype}; expected integer token ids (int64).", argument);
        if (tokens.dim() == 1)
            tokens = tokens.unsqueeze(0);
        if (tokens.dim() != 2)
            throw new ArgumentException($"{argument} has shape [{string.Join(", ", tokens.shape)}]; expected [batch, pos] or [pos].", argument);
        if (tokens.shape[0] == 0 || tokens.shape[1] == 0)
            throw new ArgumentException($"{argument} has shape [{string.Join(", ", tokens.shape)}]; expected at least one sequence of at least one token.", argument);
        tokens = tokens.to(int64);
        long min = tokens.min().item<long>(), max = tokens.max().item<long>();
        if (min < 0 || max >= cfg.DVocab)
            throw new ArgumentOutOfRangeException(argument, min < 0 ? min : max, $"token ids must lie in [0, {cfg.DVocab}) (d_vocab).");
        return tokens;
    }

    /// <summary>The residual stream [batch, pos, d_model] entering a block.</summary>
    public static Tensor Residual(Tensor residual, HookedTransformerConfig cfg, string argument)
    {
        ArgumentNullException.ThrowIfNull(residual, argument);
        if (residual.dim() != 3 || residual.shape[2] != cfg.DModel || residual.shape[0] == 0 || residual.shape[1] == 0)
            throw new ArgumentException($"{argument} has shape [{string.Join(", ", residual.shape)}]; with startAtLayer it must be the residual stream [batch, pos, {cfg.DModel}].", argument);
        if (!residual.is_floating_point())
            throw new ArgumentException($"{argument} has dtype {residual.dtype}; the residual stream is floating point.", argument);
        return residual;
    }

    /// <summary>An attention mask [batch, pos] of 0/1 values, as int64.</summary>
    public static Tensor AttentionMask(Tensor mask, long batch, long pos, Device device, string argument)
    {
        if (mask.dim() != 2 || mask.shape[0] != batch || mask.shape[1] != pos)
            throw new ArgumentException($"{argument} has shape [{string.Join(", ", mask.shape)}]; expected [{batch}, {pos}] (batch, pos).", argument);
        var asLong = mask.to(int64, device);
        if (asLong.lt(0).logical_or(asLong.gt(1)).any().item<bool>())
            throw new ArgumentException($"{argument} must hold only 0 (padding) and 1 (token).", argument);
        return asLong;
    }

    /// <summary>Learned positions must stay below n_ctx.</summary>
    public static void PositionsFit(AttentionInput pass, long newTokens, HookedTransformerConfig cfg)
    {
        long last = pass.PastLength + newTokens;
        if (last > cfg.NCtx)
            throw new ArgumentOutOfRangeException("tokens", last,
                $"sequence length (cached {pass.PastLength} + new {newTokens}) exceeds n_ctx = {cfg.NCtx} of this model's learned positional embedding.");
    }
}
