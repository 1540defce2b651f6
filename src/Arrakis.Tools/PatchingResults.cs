using System.Text;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// One activation kind's patching results as a labelled tensor (<see cref="IActivationPatcher"/>): <see cref="Values"/>
/// has one dimension per entry of <see cref="Axes"/>. Prints as a layer × position (or layer × head) grid when it has two
/// axes, otherwise as the largest effects; serialises to JSON with the tensor's values.
/// </summary>
/// <param name="Activation">TL's short name: <c>resid_pre</c>, <c>z</c>, ….</param>
/// <param name="Axes">TL's axis names, in order: <c>layer</c>, <c>pos</c>, <c>head</c>, <c>dest_pos</c>, <c>src_pos</c>, <c>neuron</c>.</param>
/// <param name="Values">The patched metric per patch (or its estimate, for attribution methods), float32.</param>
/// <param name="Method"><c>exact</c>, or an approximation: <c>AtP</c>, <c>AtP*</c>, <c>AtP*+GradDrop</c>.</param>
/// <param name="Direction"><c>denoising</c> or <c>noising</c>.</param>
/// <param name="CleanMetric">The clean run's metric.</param>
/// <param name="CorruptedMetric">The corrupted run's metric.</param>
/// <param name="ForwardPasses">Forward passes run.</param>
/// <param name="BackwardPasses">Backward passes run.</param>
public sealed record PatchingTable(
    string Activation,
    IReadOnlyList<string> Axes,
    [property: JsonIgnore] Tensor Values,
    string Method,
    string Direction,
    double CleanMetric,
    double CorruptedMetric,
    int ForwardPasses,
    int BackwardPasses) : IDisposable
{
    [JsonInclude, JsonPropertyName(nameof(Values))]
    internal JsonTensor ValuesJson => new(Values);

    /// <summary>Whether the values are exact patches (false for AtP, AtP*, which estimate them).</summary>
    public bool IsExact => Method == "exact";

    /// <summary>The metric of the run patched into: corrupted when denoising, clean when noising.</summary>
    public double Baseline => Direction == "denoising" ? CorruptedMetric : CleanMetric;

    /// <summary>From a Core result (which keeps its tensor: this table shares it).</summary>
    public static PatchingTable From(PatchingResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new PatchingTable(result.Activation, result.Axes.Select(a => a.TlName()).ToList(), result.Values, result.Method,
            result.Direction == PatchDirection.Denoising ? "denoising" : "noising", result.CleanMetric, result.CorruptedMetric,
            result.ForwardPasses, result.BackwardPasses);
    }

    /// <summary>Each patch's effect, value − baseline, row-major, with its index set.</summary>
    public IReadOnlyList<(int[] Index, double Effect)> Effects()
    {
        using var cpu = Values.detach().cpu().to_type(ScalarType.Float64);
        var flat = cpu.data<double>().ToArray();
        var shape = Values.shape;
        var effects = new List<(int[], double)>(flat.Length);
        for (int i = 0; i < flat.Length; i++)
        {
            var index = new int[shape.Length];
            long rest = i;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                index[d] = (int)(rest % shape[d]);
                rest /= shape[d];
            }
            effects.Add((index, flat[i] - Baseline));
        }
        return effects;
    }

    /// <inheritdoc />
    public override string ToString() => ToString(20);

    /// <summary>The grid (two axes) or the <paramref name="rows"/> largest |effects|.</summary>
    public string ToString(int rows)
    {
        string kind = IsExact ? "exact activation patching" : $"{Method} (attribution patching: a first-order estimate, not a patch)";
        string title = $"{kind} of {Activation} [{string.Join(", ", Axes)}], {Direction}: effect = patched − {(Direction == "denoising" ? "corrupted" : "clean")} " +
                       $"(clean {Table.Number(CleanMetric)}, corrupted {Table.Number(CorruptedMetric)}; {ForwardPasses} forward, {BackwardPasses} backward passes)";
        var effects = Effects();
        if (Axes.Count == 2 && Values.shape[1] <= 32)
        {
            long columns = Values.shape[1];
            var table = new Table(new[] { Axes[0] }.Concat(Enumerable.Range(0, (int)columns).Select(c => $"#{Axes[1]} {c}")).ToArray());
            for (int r = 0; r < Values.shape[0]; r++)
                table.Row(new object?[] { r.ToString() }.Concat(effects.Skip(r * (int)columns).Take((int)columns).Select(e => (object?)e.Effect)).ToArray());
            return table.Render(title);
        }
        var top = new Table(Axes.Append("#effect").ToArray());
        foreach (var (index, effect) in effects.OrderByDescending(e => Math.Abs(e.Effect)).Take(rows))
            top.Row(index.Select(i => (object?)i.ToString()).Append(effect).ToArray());
        return top.Render(title + $"; the {Math.Min(rows, effects.Count)} largest |effects| of {effects.Count}");
    }

    /// <inheritdoc />
    public void Dispose() => Values.Dispose();
}

/// <summary>Every edge's score (<see cref="IActivationPatcher.EdgeAttributionPatch"/>), over the graph Core's <see cref="AttributionGraph"/> holds.</summary>
/// <param name="Method"><c>EAP</c> or <c>EAP-IG</c>: approximations of patching one edge.</param>
/// <param name="Direction"><c>noising</c> or <c>denoising</c>.</param>
/// <param name="CleanMetric">The clean run's metric.</param>
/// <param name="CorruptedMetric">The corrupted run's metric.</param>
/// <param name="Nodes">Node names in computation order.</param>
/// <param name="Edges">Every edge: upstream, downstream, input (q, k, v, mlp, logits), score.</param>
/// <param name="ForwardPasses">Forward passes run.</param>
/// <param name="BackwardPasses">Backward passes run.</param>
/// <param name="IntegratedGradientSteps">EAP-IG steps (0: EAP).</param>
public sealed record EdgeAttributionTable(
    string Method,
    string Direction,
    double CleanMetric,
    double CorruptedMetric,
    IReadOnlyList<string> Nodes,
    IReadOnlyList<EdgeScore> Edges,
    int ForwardPasses,
    int BackwardPasses,
    int IntegratedGradientSteps)
{
    /// <summary>From Core's graph.</summary>
    public static EdgeAttributionTable From(AttributionGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new EdgeAttributionTable(graph.Method, graph.Direction == PatchDirection.Denoising ? "denoising" : "noising", graph.CleanMetric, graph.CorruptedMetric,
            graph.Nodes.Select(n => n.Name).ToList(),
            graph.Edges.Select(e => new EdgeScore(e.Name, e.Upstream.Name, e.Downstream.Name, e.Input.ToString().ToLowerInvariant(), e.Score)).ToList(),
            graph.ForwardPasses, graph.BackwardPasses, graph.IntegratedGradientSteps);
    }

    /// <summary>The <paramref name="count"/> edges of largest |score|.</summary>
    public IReadOnlyList<EdgeScore> Top(int count) => Edges.OrderByDescending(e => Math.Abs(e.Score)).Take(count).ToList();

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("edge", "#score");
        foreach (var e in Top(20)) table.Row(e.Name, e.Score);
        return table.Render($"{Method} (edge attribution patching: first-order estimates, not patches), {Direction}, {Edges.Count} edges over {Nodes.Count} nodes " +
                            $"(clean {Table.Number(CleanMetric)}, corrupted {Table.Number(CorruptedMetric)}; {ForwardPasses} forward, {BackwardPasses} backward passes); " +
                            $"the {Math.Min(20, Edges.Count)} largest |scores|");
    }
}

/// <summary>One edge's score.</summary>
/// <param name="Name"><c>L0H2->L1H0&lt;k&gt;</c>.</param>
/// <param name="Upstream">The writer.</param>
/// <param name="Downstream">The reader.</param>
/// <param name="Input"><c>query</c>, <c>key</c>, <c>value</c>, <c>mlp</c> or <c>logits</c>.</param>
/// <param name="Score">The estimated change of the metric when only this edge carries the other run's value.</param>
public sealed record EdgeScore(string Name, string Upstream, string Downstream, string Input, double Score);
