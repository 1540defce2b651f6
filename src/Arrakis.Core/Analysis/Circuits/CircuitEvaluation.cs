namespace Arrakis.Circuits;

/// <summary>
/// How well a circuit reproduces the model (<see cref="CircuitPatcher.Evaluate"/>): every edge outside it patched to its corrupted value.
/// </summary>
/// <param name="CleanMetric">M(model): every edge clean.</param>
/// <param name="CorruptedMetric">M(∅): every edge corrupted.</param>
/// <param name="CircuitMetric">M(C): only the circuit's edges clean.</param>
/// <param name="ComplementMetric">M(G \ C): every edge but the circuit's clean.</param>
/// <param name="Faithfulness">(M(C) − M(∅)) / (M(model) − M(∅)): the share of the clean–corrupted gap the circuit recovers (1: all of it).</param>
/// <param name="Completeness">1 − (M(G \ C) − M(∅)) / (M(model) − M(∅)): the share of the gap lost when the circuit alone is corrupted (1: the rest of the model recovers nothing).</param>
/// <param name="Edges">Edges in the circuit.</param>
/// <param name="GraphEdges">Edges in the model's graph.</param>
/// <param name="Nodes">Nodes the circuit's edges touch.</param>
/// <param name="ForwardPasses">Forward passes run by the patcher up to and including this evaluation.</param>
public sealed record CircuitEvaluation(
    double CleanMetric,
    double CorruptedMetric,
    double CircuitMetric,
    double ComplementMetric,
    double Faithfulness,
    double Completeness,
    int Edges,
    int GraphEdges,
    int Nodes,
    int ForwardPasses)
{
    /// <summary>Edges / graph edges.</summary>
    public double EdgeFraction => GraphEdges == 0 ? 0 : (double)Edges / GraphEdges;

    /// <summary>Normalises the four metrics.</summary>
    public static CircuitEvaluation From(double clean, double corrupted, double circuit, double complement, int edges, int graphEdges, int nodes, int forwardPasses)
    {
        double gap = clean - corrupted;
        return new CircuitEvaluation(clean, corrupted, circuit, complement, (circuit - corrupted) / gap, 1 - (complement - corrupted) / gap,
            edges, graphEdges, nodes, forwardPasses);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"faithfulness {Faithfulness:F3}, completeness {Completeness:F3}; {Edges} of {GraphEdges} edges ({EdgeFraction:P1}), {Nodes} nodes; " +
        $"metric: model {CleanMetric:G4}, circuit {CircuitMetric:G4}, complement {ComplementMetric:G4}, corrupted {CorruptedMetric:G4}";
}
