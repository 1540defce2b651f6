using System.Text;
using Arrakis.Facts;

namespace Arrakis.Tools;

/// <summary>A causal trace (<see cref="ICausalTracer.TraceTokenProbability"/>) with the prompt's tokens as text.</summary>
/// <param name="Trace">The trace: probabilities and one grid per state type.</param>
/// <param name="StrTokens">Each token as text (ids when the model has no tokenizer).</param>
public sealed record CausalTraceResult(CausalTrace Trace, IReadOnlyList<string> StrTokens)
{
    /// <summary>P(o).</summary>
    public double CleanProbability => Trace.CleanProbability;

    /// <summary>P*(o).</summary>
    public double CorruptedProbability => Trace.CorruptedProbability;

    /// <summary>TE = P(o) − P*(o).</summary>
    public double TotalEffect => Trace.TotalEffect;

    /// <summary>The grid of one state type.</summary>
    public CausalTraceGrid this[TraceState state] => Trace[state];

    /// <summary>Per state type, the layer of the largest indirect effect at the subject's last token and that effect.</summary>
    public IReadOnlyDictionary<TraceState, (int Layer, double Effect)> PeaksAtSubjectEnd =>
        Trace.Grids.Where(g => g.Positions.Contains(Trace.SubjectLastPosition)).ToDictionary(g => g.State, g => g.Peak(Trace.SubjectLastPosition));

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(FormattableString.Invariant(
            $"Causal trace: P(o) clean {Trace.CleanProbability:0.0000}, corrupted {Trace.CorruptedProbability:0.0000}, total effect {Trace.TotalEffect:0.0000} (σ {Trace.NoiseStd:0.###}, {Trace.Samples} samples, seed {Trace.Seed}; subject = positions [{Trace.SubjectStart}, {Trace.SubjectEnd}))"));
        foreach (var grid in Trace.Grids)
        {
            var headers = new[] { "position" }.Concat(Enumerable.Range(0, grid.Restored.Length).Select(l => $"#L{l}")).ToArray();
            var table = new Table(headers);
            for (int c = 0; c < grid.Positions.Count; c++)
            {
                int p = grid.Positions[c];
                string label = $"{p} {(p < StrTokens.Count ? StrTokens[p] : "")}{(p >= Trace.SubjectStart && p < Trace.SubjectEnd ? "*" : "")}";
                table.Row(new object?[] { label }.Concat(Enumerable.Range(0, grid.Restored.Length).Select(l => (object?)grid.IndirectEffect(l, c))).ToArray());
            }
            text.Append(table.Render($"Indirect effect of restoring {grid.State.ShortName()}{(grid.Window > 1 ? $" (window {grid.Window})" : "")}, P*(o | clean h) − P*(o); * = subject:"));
        }
        return text.ToString();
    }
}

/// <summary>P(o), P*(o) and P*(o | the listed states restored) (<see cref="ICausalTracer.Restore"/>).</summary>
public sealed record RestorationResult(IReadOnlyList<Restoration> Restorations, double CleanProbability, double CorruptedProbability, double RestoredProbability)
{
    /// <summary>Indirect effect of the restored set: restored − corrupted.</summary>
    public double IndirectEffect => RestoredProbability - CorruptedProbability;

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"Restoring [{string.Join(", ", Restorations)}]: P(o) clean {CleanProbability:0.0000}, corrupted {CorruptedProbability:0.0000}, restored {RestoredProbability:0.0000}");
}
