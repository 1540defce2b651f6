using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Argument checks shared by activation and attribution patching; each failure names the argument and the value.</summary>
internal static class PatchingInputs
{
    /// <summary>Clean and corrupted tokens as int64 [batch, pos] on the model's device, of one shape.</summary>
    public static (Tensor Clean, Tensor Corrupted) Tokens(HookedTransformer model, Tensor cleanTokens, Tensor corruptedTokens)
    {
        var clean = InputValidation.Tokens(cleanTokens, model.Cfg, nameof(cleanTokens)).to(model.Device);
        var corrupted = InputValidation.Tokens(corruptedTokens, model.Cfg, nameof(corruptedTokens)).to(model.Device);
        if (!corrupted.shape.SequenceEqual(clean.shape))
            throw new ArgumentException(
                $"corruptedTokens has shape [{string.Join(", ", corrupted.shape)}]; expected the clean tokens' shape [{string.Join(", ", clean.shape)}]: " +
                "a patch copies activations position by position, so both inputs need the same batch size and length (choose corruptions of equal length).",
                nameof(corruptedTokens));
        return (clean, corrupted);
    }

    /// <summary>The metric of <paramref name="logits"/> [rows, pos, d_vocab], checked to be one value per row: [rows].</summary>
    public static Tensor PerRow(Func<Tensor, Tensor> metric, Tensor logits, long rows)
    {
        var value = metric(logits);
        if (value is null || value.dim() != 1 || value.shape[0] != rows)
            throw new ArgumentException(
                $"metric returned {(value is null ? "null" : $"shape [{string.Join(", ", value.shape)}]")}; expected one value per batch row, shape [{rows}] " +
                "(e.g. logits => logits[.., -1].gather(-1, answers).squeeze(-1)); the patched variants are split by row, so a scalar cannot be used.",
                nameof(metric));
        return value;
    }

    /// <summary>The batch-mean metric of <paramref name="logits"/>.</summary>
    public static double Mean(Func<Tensor, Tensor> metric, Tensor logits, long rows)
    {
        using var scope = NewDisposeScope();
        return PerRow(metric, logits, rows).mean().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>A defined direction.</summary>
    public static PatchDirection Direction(PatchDirection direction) =>
        Enum.IsDefined(direction) ? direction : throw new ArgumentOutOfRangeException(nameof(direction), direction, "expected Denoising or Noising.");
}
