using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>One head's attention summary on a prompt, each a mean over query positions q ≥ 1.</summary>
/// <param name="Head">The head.</param>
/// <param name="Entropy">−Σ_k A[q,k] ln A[q,k], nats (0: one key; ln(q+1): uniform).</param>
/// <param name="Bos">A[q, 0], attention to the first position.</param>
/// <param name="Self">A[q, q].</param>
/// <param name="Previous">A[q, q − 1].</param>
public sealed record HeadAttentionSummary(HeadIndex Head, double Entropy, double Bos, double Self, double Previous);

/// <summary>A source position a query attends to.</summary>
public sealed record AttendedSource(int Position, long Token, double Weight);

/// <summary>The sources one query position attends to most, by weight.</summary>
public sealed record QueryAttention(int Position, long Token, IReadOnlyList<AttendedSource> Sources);

/// <summary>For one head, the top attended sources of every query position (<see cref="IAttentionTools.TopAttendedIds"/>).</summary>
public sealed record TopAttendedIdsResult(HeadIndex Head, int BatchIndex, IReadOnlyList<QueryAttention> Queries)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#query", "#token", "top sources (position:token weight)");
        foreach (var q in Queries)
            table.Row(q.Position, q.Token, string.Join("  ", q.Sources.Select(s => $"{s.Position}:{s.Token} {Table.Number(s.Weight)}")));
        return table.Render($"Top attended sources of {Head} (sequence {BatchIndex}):");
    }
}

/// <summary>
/// The attention patterns of one prompt and per-head summaries (<see cref="IAttentionTools.AttentionPatterns"/>). Owns
/// <see cref="Patterns"/>: dispose it.
/// </summary>
/// <param name="BatchIndex">The sequence.</param>
/// <param name="Tokens">Its token ids.</param>
/// <param name="Patterns">A[layer, head, q, k], float32 on the CPU.</param>
/// <param name="Heads">Per-head summaries in (layer, head) order.</param>
public sealed record AttentionPatternsResult(int BatchIndex, IReadOnlyList<long> Tokens, Tensor Patterns, IReadOnlyList<HeadAttentionSummary> Heads) : IDisposable
{
    /// <summary>The pattern of one head, [q, k] (a view of <see cref="Patterns"/>).</summary>
    public Tensor this[int layer, int head] => Patterns[layer, head];

    /// <summary>The summary of <paramref name="head"/>.</summary>
    public HeadAttentionSummary this[HeadIndex head] => Heads.First(h => h.Head == head);

    /// <summary>The <paramref name="numTokens"/> most attended sources of every query of <paramref name="head"/>.</summary>
    public TopAttendedIdsResult TopAttended(HeadIndex head, int numTokens = 2)
    {
        ToolArguments.AtLeastOne(numTokens, nameof(numTokens));
        using var scope = NewDisposeScope();
        var pattern = Patterns[head.Layer, head.Head];   // [q, k]
        int k = (int)Math.Min(numTokens, pattern.shape[1]);
        var (values, indices) = pattern.topk(k, dim: -1);
        float[] weights = values.data<float>().ToArray();
        long[] positions = indices.data<long>().ToArray();
        var queries = new List<QueryAttention>();
        for (int q = 0; q < pattern.shape[0]; q++)
        {
            // Causal: query q sees q + 1 keys; never report masked (zero-weight) keys beyond it.
            var sources = Enumerable.Range(0, Math.Min(k, q + 1))
                .Select(i => new AttendedSource((int)positions[q * k + i], Tokens[(int)positions[q * k + i]], weights[q * k + i])).ToList();
            queries.Add(new QueryAttention(q, Tokens[q], sources));
        }
        return new TopAttendedIdsResult(head, BatchIndex, queries);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("head", "#entropy", "#→BOS", "#→self", "#→previous");
        foreach (var h in Heads) table.Row(h.Head.ToString(), h.Entropy, h.Bos, h.Self, h.Previous);
        return table.Render($"Attention of sequence {BatchIndex} ({Tokens.Count} tokens), means over queries q ≥ 1 (entropy in nats):");
    }

    /// <inheritdoc />
    public void Dispose() => Patterns.Dispose();
}

/// <summary>One head's detector score.</summary>
public sealed record HeadScore(HeadIndex Head, double Score);

/// <summary>
/// The head detector's scores (<see cref="IAttentionTools.DetectHead(Tensor, HeadName, bool, bool, ErrorMeasure, bool, IReadOnlyCollection{HeadIndex})"/>).
/// </summary>
/// <param name="Pattern">The pattern's name, or "custom".</param>
/// <param name="ErrorMeasure">Mul or Abs.</param>
/// <param name="ExcludeBos">Whether attention to position 0 was ignored.</param>
/// <param name="ExcludeCurrentToken">Whether attention to the query itself was ignored.</param>
/// <param name="MatchedQueriesOnly">Whether only the rows the pattern marks were scored.</param>
/// <param name="Scores">Every head's score, in (layer, head) order.</param>
public sealed record HeadDetectionResult(string Pattern, ErrorMeasure ErrorMeasure, bool ExcludeBos, bool ExcludeCurrentToken, bool MatchedQueriesOnly,
    IReadOnlyList<HeadScore> Scores)
{
    /// <summary>The score of <paramref name="head"/>.</summary>
    public double this[HeadIndex head] => Scores.FirstOrDefault(s => s.Head == head)?.Score
        ?? throw new KeyNotFoundException($"No head {head}; heads: {Scores.First().Head} … {Scores.Last().Head}.");

    /// <summary>The highest-scoring head, optionally among those <paramref name="where"/> admits.</summary>
    public HeadScore Best(Func<HeadIndex, bool>? where = null) => Scores.Where(s => where?.Invoke(s.Head) ?? true).MaxBy(s => s.Score)
        ?? throw new InvalidOperationException("No head satisfies the condition.");

    /// <summary>The scores as [n_layers][n_heads].</summary>
    public double[][] ToArray() => Scores.GroupBy(s => s.Head.Layer).OrderBy(g => g.Key).Select(g => g.OrderBy(s => s.Head.Head).Select(s => s.Score).ToArray()).ToArray();

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("head", "#score");
        foreach (var s in Scores.OrderByDescending(s => s.Score).Take(12)) table.Row(s.Head.ToString(), s.Score);
        var options = new[] { ExcludeBos ? "BOS excluded" : null, ExcludeCurrentToken ? "current token excluded" : null, MatchedQueriesOnly ? "marked queries only" : null }
            .Where(o => o is not null);
        return table.Render($"Head detector, {Pattern} ({ErrorMeasure.ToString().ToLowerInvariant()}{string.Concat(options.Select(o => ", " + o))}), top heads:");
    }
}

/// <summary>The metric with each head ablated (<see cref="IAttentionTools.AblateHeads"/>).</summary>
/// <param name="Kind">Zero, Mean or Resample.</param>
/// <param name="Clean">The metric without ablation.</param>
/// <param name="Heads">Per head: the ablated metric and its change (ablated − clean), in the order asked.</param>
public sealed record HeadAblationResult(AblationKind Kind, double Clean, IReadOnlyList<HeadAblationScore> Heads)
{
    /// <summary>The ablation of <paramref name="head"/>.</summary>
    public HeadAblationScore this[HeadIndex head] => Heads.FirstOrDefault(h => h.Head == head)
        ?? throw new KeyNotFoundException($"Head {head} was not ablated; ablated: {string.Join(", ", Heads.Take(12).Select(h => h.Head))}{(Heads.Count > 12 ? ", …" : "")}.");

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("head", "#ablated", "#effect");
        foreach (var h in Heads.OrderBy(h => h.Effect).Take(16)) table.Row(h.Head.ToString(), h.Ablated, h.Effect);
        return table.Render($"{Kind}-ablation of {Heads.Count} head(s): clean metric {Table.Number(Clean)}; largest drops first:");
    }
}
