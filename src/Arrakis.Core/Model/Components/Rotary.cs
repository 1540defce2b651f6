using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>
/// Rotary position embedding, GPT-NeoX "rotate half" convention (TL <c>rotary_adjacent_pairs=False</c>): the first
/// <c>rotary_dim</c> dims of each head are split in halves (x₁, x₂) and rotated by angle p·θᵢ, θᵢ = base^(−2i/rotary_dim):
/// (x₁, x₂) → (x₁ cos − x₂ sin, x₂ cos + x₁ sin); the remaining dims pass through.
/// </summary>
internal static class Rotary
{
    /// <summary>x: [batch, pos, heads, d_head]; positions: int64 [batch, pos] → rotated x, same shape.</summary>
    public static Tensor Apply(Tensor x, Tensor positions, int rotaryDim, double rotaryBase)
    {
        using var scope = NewDisposeScope();
        int half = rotaryDim / 2;
        var inverseFrequency = pow(rotaryBase, -arange(0, half, dtype: float64, device: x.device) * 2.0 / rotaryDim); // [half]
        var angles = positions.to(float64).unsqueeze(-1) * inverseFrequency;                                              // [batch, pos, half]
        var cos = cat([angles.cos(), angles.cos()], -1).unsqueeze(2).to(x.dtype);                                         // [batch, pos, 1, rotary_dim]
        var sin = cat([angles.sin(), angles.sin()], -1).unsqueeze(2).to(x.dtype);
        var rotated = x[.., .., .., ..rotaryDim];
        var first = rotated[.., .., .., ..half];
        var second = rotated[.., .., .., half..];
        var turned = cat([-second, first], -1);
        var result = rotated * cos + turned * sin;
        if (rotaryDim < x.shape[3])
            result = cat([result, x[.., .., .., rotaryDim..]], -1);
        return result.MoveToOuterDisposeScope();
    }
}
