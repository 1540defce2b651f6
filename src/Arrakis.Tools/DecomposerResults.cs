using System.Text;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>One factor of an SVD, as directions in the residual stream with their singular values.</summary>
/// <param name="Directions">[rank, d_model]: row i is the unit direction of singular value i, strongest first.</param>
/// <param name="SingularValues">s₀ ≥ s₁ ≥ … ≥ 0.</param>
/// <param name="ExplainedVariance">sᵢ² / Σⱼ sⱼ² (all 0 for a zero matrix).</param>
public sealed record SingularDirections(
    [property: JsonIgnore] Tensor Directions,
    IReadOnlyList<double> SingularValues,
    IReadOnlyList<double> ExplainedVariance)
{
    [JsonInclude, JsonPropertyName(nameof(Directions))]
    internal JsonTensor DirectionsJson => new(Directions);

    /// <summary>How many directions it takes to explain <paramref name="fraction"/> of the variance.</summary>
    public int DirectionsFor(double fraction)
    {
        double total = 0;
        for (int i = 0; i < ExplainedVariance.Count; i++)
        {
            total += ExplainedVariance[i];
            if (total >= fraction - 1e-12) return i + 1;
        }
        return ExplainedVariance.Count;
    }
}

/// <summary>The read and write directions of one MLP (<see cref="IResidualDecomposer.MlpBasis"/>).</summary>
/// <param name="Layer">Block index.</param>
/// <param name="Read">SVD of W_in [d_model, d_mlp]: the directions the MLP reads (left singular vectors).</param>
/// <param name="Write">SVD of W_out [d_mlp, d_model]: the directions the MLP writes (right singular vectors).</param>
/// <param name="Gate">SVD of W_gate for gated MLPs (left singular vectors), else null.</param>
public sealed record MlpBasisResult(int Layer, SingularDirections Read, SingularDirections Write, SingularDirections? Gate) : IDisposable
{
    /// <summary>Whether the MLP is gated (SwiGLU/GeGLU): its pre-activation is act(x·W_gate) ⊙ (x·W_in).</summary>
    public bool Gated => Gate is not null;

    /// <summary>A table of the strongest directions.</summary>
    public string ToString(int rows)
    {
        var table = Gate is null
            ? new Table("#i", "#read σ", "#read var", "#read cum", "#write σ", "#write var", "#write cum")
            : new Table("#i", "#read σ", "#read var", "#read cum", "#write σ", "#write var", "#write cum", "#gate σ", "#gate var");
        double readCum = 0, writeCum = 0;
        int n = Math.Min(rows, Read.SingularValues.Count);
        for (int i = 0; i < n; i++)
        {
            readCum += Read.ExplainedVariance[i];
            writeCum += Write.ExplainedVariance[i];
            var cells = new List<object?> { i, Read.SingularValues[i], Table.Percent(Read.ExplainedVariance[i]), Table.Percent(readCum),
                Write.SingularValues[i], Table.Percent(Write.ExplainedVariance[i]), Table.Percent(writeCum) };
            if (Gate is not null) cells.AddRange([Gate.SingularValues[i], Table.Percent(Gate.ExplainedVariance[i])]);
            table.Row([.. cells]);
        }
        var text = new StringBuilder(table.Render(
            $"MLP {Layer} basis: {Read.SingularValues.Count} read and {Write.SingularValues.Count} write directions in d_model = {Read.Directions.shape[^1]}" +
            $" (SVD of W_in{(Gated ? ", W_gate" : "")} and W_out); 90% of the variance in {Read.DirectionsFor(0.9)} read / {Write.DirectionsFor(0.9)} write directions"));
        if (n < Read.SingularValues.Count) text.AppendLine($"  … {Read.SingularValues.Count - n} more (ToString(rows) prints more)");
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToString(10);

    /// <inheritdoc />
    public void Dispose()
    {
        Read.Directions.Dispose();
        Write.Directions.Dispose();
        Gate?.Directions.Dispose();
    }
}

/// <summary>One component of a residual decomposition at the decomposed position.</summary>
/// <param name="Label"><c>L{l}H{h}</c> (a head), <c>L{l}N{n}</c> (a neuron), <c>{l}_mlp_out</c> (a whole MLP), <c>embed</c>, <c>pos_embed</c>, <c>bias</c>.</param>
/// <param name="Norm">‖cᵢ‖ (Euclidean, in d_model).</param>
/// <param name="Projection">cᵢ·d/‖d‖ when ranked by a direction d, else null.</param>
public sealed record ResidualComponent(string Label, double Norm, double? Projection);

/// <summary>The residual stream at one position split into the outputs that wrote it (<see cref="IResidualDecomposer.DecomposeResidual"/>).</summary>
/// <param name="Layer">The block whose input (or output, with <paramref name="AfterLayer"/>) was decomposed.</param>
/// <param name="AfterLayer">Whether the stream leaving the block (resid_post) was decomposed rather than the one entering it.</param>
/// <param name="HookName">The hook point whose value the components sum to, e.g. <c>blocks.1.hook_resid_pre</c>.</param>
/// <param name="Position">The decomposed position (non-negative).</param>
/// <param name="BatchIndex">The decomposed sequence.</param>
/// <param name="RankedBy"><c>norm</c> or <c>projection</c>.</param>
/// <param name="Components">Every component, in the model's order (heads by layer, then MLPs or neurons, embed, pos_embed, bias).</param>
/// <param name="Top">The top k components by the ranking, largest first.</param>
/// <param name="ReconstructionError">‖Σᵢ cᵢ − x‖ / ‖x‖, x the cached stream at the position.</param>
/// <param name="Vectors">[components, d_model]: the component vectors in the order of <paramref name="Components"/>; they sum to x.</param>
public sealed record ResidualDecompositionResult(
    int Layer,
    bool AfterLayer,
    string HookName,
    int Position,
    int BatchIndex,
    string RankedBy,
    IReadOnlyList<ResidualComponent> Components,
    IReadOnlyList<ResidualComponent> Top,
    double ReconstructionError,
    [property: JsonIgnore] Tensor Vectors) : IDisposable
{
    [JsonInclude, JsonPropertyName(nameof(Vectors))]
    internal JsonTensor VectorsJson => new(Vectors);

    /// <summary>The vector of the component called <paramref name="label"/> [d_model].</summary>
    /// <exception cref="KeyNotFoundException">No such component; the message lists some.</exception>
    public Tensor this[string label]
    {
        get
        {
            for (int i = 0; i < Components.Count; i++)
                if (Components[i].Label == label) return Vectors[i];
            throw new KeyNotFoundException($"No component '{label}'; components: {string.Join(", ", Components.Take(12).Select(c => c.Label))}{(Components.Count > 12 ? ", …" : "")}.");
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var table = RankedBy == "projection" ? new Table("#rank", "component", "#projection", "#norm") : new Table("#rank", "component", "#norm");
        for (int i = 0; i < Top.Count; i++)
        {
            var c = Top[i];
            if (RankedBy == "projection") table.Row(i + 1, c.Label, c.Projection, c.Norm);
            else table.Row(i + 1, c.Label, c.Norm);
        }
        string where = AfterLayer ? $"leaving layer {Layer}" : $"entering layer {Layer}";
        return table.Render(
            $"Residual stream {where} ({HookName}) at position {Position} of sequence {BatchIndex}: {Components.Count} components, " +
            $"top {Top.Count} by {(RankedBy == "projection" ? "|projection| on the given direction" : "norm")}; reconstruction error {Table.Number(ReconstructionError)} (relative)");
    }

    /// <inheritdoc />
    public void Dispose() => Vectors.Dispose();
}
