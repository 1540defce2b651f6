using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// Per-head summaries of attention patterns A[q, k] (<c>hook_pattern</c>), each a mean over the query positions q ≥ 1
/// (position 0 can attend only to itself, so it says nothing about a head):
/// entropy −Σ_k A[q,k]·ln A[q,k] (nats; 0·ln 0 = 0), attention to position 0 A[q, 0] (the BOS token when the prompt
/// starts with one), to itself A[q, q] and to the previous position A[q, q − 1].
/// </summary>
public static class AttentionSummary
{
    /// <summary>Mean entropy per head in nats: [..., head] from patterns [..., head, q, k] with q ≥ 2.</summary>
    public static Tensor Entropy(Tensor pattern)
    {
        Check(pattern);
        using var scope = NewDisposeScope();
        var rows = pattern[TensorIndex.Ellipsis, 1.., ..];                               // [..., head, q ≥ 1, k]
        var plogp = where(rows.gt(0), rows * rows.clamp_min(1e-30).log(), zeros_like(rows));
        return (-plogp.sum(-1)).mean([-1L]).MoveToOuterDisposeScope();
    }

    /// <summary>Mean attention to position 0 per head: [..., head].</summary>
    public static Tensor ToFirstPosition(Tensor pattern)
    {
        Check(pattern);
        return pattern[TensorIndex.Ellipsis, 1.., 0].mean([-1L]);
    }

    /// <summary>Mean attention of each query to itself per head: [..., head].</summary>
    public static Tensor ToSelf(Tensor pattern)
    {
        Check(pattern);
        using var scope = NewDisposeScope();
        return pattern.diagonal(0, -2, -1)[TensorIndex.Ellipsis, 1..].mean([-1L]).MoveToOuterDisposeScope();
    }

    /// <summary>Mean attention of each query to the position before it per head: [..., head].</summary>
    public static Tensor ToPrevious(Tensor pattern)
    {
        Check(pattern);
        using var scope = NewDisposeScope();
        return pattern.diagonal(-1, -2, -1).mean([-1L]).MoveToOuterDisposeScope();
    }

    private static void Check(Tensor pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.dim() < 3 || pattern.shape[^1] != pattern.shape[^2] || pattern.shape[^1] < 2)
            throw new ArgumentException($"pattern has shape [{string.Join(", ", pattern.shape)}]; expected attention patterns [..., head, pos, pos] with pos ≥ 2.", nameof(pattern));
    }
}
