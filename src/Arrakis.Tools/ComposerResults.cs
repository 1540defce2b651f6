using System.Text;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The "merged head" Arrakis's <c>head_composition</c> returned, kept so the seed's call returns what it did:
/// W_Q = (W_Q¹ + W_Q²)/2, W_K = (W_K¹ + W_K²)/2, W_V = (W_V¹ + W_V²)/2, W_O = α·W_O¹ + (1−α)·W_O². It is a blend of two
/// heads' weights (Arrakis's blend), <b>not a composition measure</b>: two heads compose when one's output is read by the
/// other, which the scores of <see cref="HeadCompositionResult"/> measure; averaging weights measures nothing about that.
/// </summary>
/// <param name="Alpha">The blend weight of W_O.</param>
/// <param name="W_Q">[d_model, d_head].</param>
/// <param name="W_K">[d_model, d_head] (key/value heads expanded to the query heads under GQA).</param>
/// <param name="W_V">[d_model, d_head].</param>
/// <param name="W_O">[d_head, d_model].</param>
public sealed record MergedHeadWeights(
    double Alpha,
    [property: JsonIgnore] Tensor W_Q,
    [property: JsonIgnore] Tensor W_K,
    [property: JsonIgnore] Tensor W_V,
    [property: JsonIgnore] Tensor W_O) : IDisposable
{
    [JsonInclude, JsonPropertyName(nameof(W_Q))]
    internal JsonTensor W_QJson => new(W_Q);

    [JsonInclude, JsonPropertyName(nameof(W_K))]
    internal JsonTensor W_KJson => new(W_K);

    [JsonInclude, JsonPropertyName(nameof(W_V))]
    internal JsonTensor W_VJson => new(W_V);

    [JsonInclude, JsonPropertyName(nameof(W_O))]
    internal JsonTensor W_OJson => new(W_O);

    /// <inheritdoc />
    public override string ToString() =>
        $"merged head weights (Arrakis's blend, not a composition measure): W_Q, W_K, W_V averaged [{string.Join(", ", W_Q.shape)}], " +
        $"W_O = {Table.Number(Alpha)}·W_O¹ + {Table.Number(1 - Alpha)}·W_O² [{string.Join(", ", W_O.shape)}]";

    /// <inheritdoc />
    public void Dispose()
    {
        W_Q.Dispose();
        W_K.Dispose();
        W_V.Dispose();
        W_O.Dispose();
    }
}

/// <summary>How one head composes into a later one by weights (<see cref="IAttentionComposer.HeadComposition"/>).</summary>
/// <param name="Writer">head1.</param>
/// <param name="Reader">head2.</param>
/// <param name="QComposition">‖W_OV¹·W_QK²‖ / (‖W_OV¹‖‖W_QK²‖): the writer's output moves the reader's queries.</param>
/// <param name="KComposition">‖W_OV¹·W_QK²ᵀ‖ / (‖W_OV¹‖‖W_QK²‖): the writer's output moves the reader's keys.</param>
/// <param name="VComposition">‖W_OV¹·W_OV²‖ / (‖W_OV¹‖‖W_OV²‖): the writer's output is moved on by the reader.</param>
/// <param name="RandomBaseline">The mean score of random Gaussian heads of the same shapes (≈ 1/√d_model).</param>
/// <param name="MergedHeadWeights">Arrakis's blend for the seed's alpha — not a composition measure.</param>
public sealed record HeadCompositionResult(
    HeadIndex Writer,
    HeadIndex Reader,
    double QComposition,
    double KComposition,
    double VComposition,
    double RandomBaseline,
    MergedHeadWeights MergedHeadWeights) : IDisposable
{
    /// <summary>The score for one kind.</summary>
    public double this[CompositionKind kind] => kind switch
    {
        CompositionKind.Q => QComposition,
        CompositionKind.K => KComposition,
        _ => VComposition,
    };

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("kind", "#score", "#× random");
        foreach (var (kind, score) in new[] { ("Q", QComposition), ("K", KComposition), ("V", VComposition) })
            table.Row(kind, score, RandomBaseline > 0 ? score / RandomBaseline : double.NaN);
        return table.Render($"Composition of {Writer} (writer) into {Reader} (reader), ‖W_OV¹·R‖ / (‖W_OV¹‖‖R‖); random heads score {Table.Number(RandomBaseline)}")
            + "  " + MergedHeadWeights + Environment.NewLine;
    }

    /// <inheritdoc />
    public void Dispose() => MergedHeadWeights.Dispose();
}

/// <summary>One path-patching experiment: sender → receiver (<see cref="IAttentionComposer.AttentionPathPatching(Tensor, HeadIndex, HeadIndex, PathInput, Func{Tensor, Tensor, Tensor}?)"/>)
/// or sender → a set of receivers patched together (<see cref="IAttentionComposer.AttentionPathPatching(Tensor, HeadIndex, IReadOnlyList{HeadIndex}, PathInput, Func{Tensor, Tensor, Tensor}?)"/>).</summary>
/// <param name="Sender">head1, whose output is corrupted.</param>
/// <param name="Receivers">head2 (one head), or the set of heads whose input(s) receive the corrupted output together.</param>
/// <param name="Through">Which receiver inputs the path enters.</param>
/// <param name="Corruption"><c>mean-ablation</c> (the sender's mean over batch and positions) or <c>corrupted-input</c>.</param>
/// <param name="Clean">Metric on the clean run.</param>
/// <param name="Corrupted">Metric with the corruption everywhere: the sender mean-ablated along every path, or the whole corrupted run.</param>
/// <param name="Patched">Metric with only the sender → receiver path corrupted.</param>
public sealed record AttentionPathPatchingResult(
    HeadIndex Sender,
    IReadOnlyList<HeadIndex> Receivers,
    [property: JsonConverter(typeof(JsonStringEnumConverter<PathInput>))] PathInput Through,
    string Corruption,
    double Clean,
    double Corrupted,
    double Patched)
{
    /// <summary>The share of the total effect the path carries: (clean − patched)/(clean − corrupted); null when the corruption changes nothing.</summary>
    public double? Fraction => Clean == Corrupted ? null : (Clean - Patched) / (Clean - Corrupted);

    private string ReceiverList => string.Join(", ", Receivers);

    internal static Table NewTable() => new("sender", "receiver", "through", "#clean", "#corrupted", "#patched", "#path share");

    internal void AddTo(Table table) =>
        table.Row(Sender.ToString(), ReceiverList, Through.ToString(), Clean, Corrupted, Patched, Fraction is { } f ? Table.Percent(f) : "n/a");

    /// <inheritdoc />
    public override string ToString()
    {
        var table = NewTable();
        AddTo(table);
        return table.Render($"Path patching {Sender} → {ReceiverList} through {Through} ({Corruption}); path share = (clean − patched)/(clean − corrupted)");
    }
}

/// <summary>Many path-patching experiments, as run batched (<see cref="IAttentionComposer.AttentionPathPatching(Tensor, IReadOnlyList{ValueTuple{HeadIndex, HeadIndex}}, PathInput, Tensor?, Func{Tensor, Tensor, Tensor}?)"/>).</summary>
/// <param name="Paths">One result per pair, in the order given.</param>
public sealed record AttentionPathPatchingTable(IReadOnlyList<AttentionPathPatchingResult> Paths)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = AttentionPathPatchingResult.NewTable();
        foreach (var p in Paths.OrderByDescending(p => Math.Abs(p.Fraction ?? 0))) p.AddTo(table);
        return table.Render($"Path patching of {Paths.Count} sender → receiver paths, by |path share|");
    }
}

/// <summary>One writer → reader composition score.</summary>
public sealed record CompositionPair(HeadIndex Writer, HeadIndex Reader, double Score);

/// <summary>Every composition score of a model for one kind (<see cref="IAttentionComposer.AllCompositionScores"/>).</summary>
/// <param name="Kind">Q, K or V.</param>
/// <param name="RandomBaseline">The mean score of random Gaussian heads of the same shapes.</param>
/// <param name="Pairs">Every pair with the reader in a later layer, largest score first.</param>
public sealed record CompositionScoresResult(
    [property: JsonConverter(typeof(JsonStringEnumConverter<CompositionKind>))] CompositionKind Kind,
    double RandomBaseline,
    IReadOnlyList<CompositionPair> Pairs)
{
    /// <summary>The score of one pair (0 when the reader is not in a later layer).</summary>
    public double this[HeadIndex writer, HeadIndex reader] => Pairs.FirstOrDefault(p => p.Writer == writer && p.Reader == reader)?.Score ?? 0;

    /// <summary>A table of the <paramref name="rows"/> largest scores.</summary>
    public string ToString(int rows)
    {
        var table = new Table("writer", "reader", "#score", "#× random");
        foreach (var p in Pairs.Take(rows)) table.Row(p.Writer.ToString(), p.Reader.ToString(), p.Score, RandomBaseline > 0 ? p.Score / RandomBaseline : double.NaN);
        var text = new StringBuilder(table.Render($"{Kind}-composition scores of {Pairs.Count} writer → reader pairs, largest first; random heads score {Table.Number(RandomBaseline)}"));
        if (Pairs.Count > rows) text.AppendLine($"  … {Pairs.Count - rows} more");
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToString(20);
}
