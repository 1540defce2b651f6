namespace Arrakis.Probing;

/// <summary>One layer's probe: scores on the training and validation sets, and the control task's validation score.</summary>
/// <param name="Layer">The block whose activation was probed.</param>
/// <param name="Train">Accuracy (logistic) or R² (ridge) on the training examples.</param>
/// <param name="Validation">The same on the held-out examples.</param>
/// <param name="Control">Validation score of the same probe trained on shuffled labels (Hewitt &amp; Liang's control task).</param>
public sealed record LayerProbe(int Layer, double Train, double Validation, double Control)
{
    /// <summary>Selectivity = Validation − Control (Hewitt &amp; Liang 2019): high when the probe reads the model, not memorises.</summary>
    public double Selectivity => Validation - Control;
}

/// <summary>Linear probes of one activation at one position, per layer (<see cref="LinearProbing"/>).</summary>
/// <param name="Kind"><c>logistic</c> (score: accuracy) or <c>ridge</c> (score: R²).</param>
/// <param name="Activation">TL's short name, e.g. <c>resid_post</c>.</param>
/// <param name="Position">The probed position (negative: from the end of each prompt).</param>
/// <param name="TrainCount">Training examples.</param>
/// <param name="ValidationCount">Validation examples.</param>
/// <param name="Layers">One probe per layer.</param>
public sealed record ProbeResult(string Kind, string Activation, int Position, int TrainCount, int ValidationCount, IReadOnlyList<LayerProbe> Layers)
{
    /// <summary>The layer with the highest validation score.</summary>
    public LayerProbe Best => Layers.MaxBy(l => l.Validation)!;

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(FormattableString.Invariant($"{Kind} probes of {Activation} at position {Position} ({TrainCount} train / {ValidationCount} validation); score = {(Kind == "ridge" ? "R²" : "accuracy")}"));
        text.AppendLine("layer     train  validation  control  selectivity");
        foreach (var l in Layers)
            text.AppendLine(FormattableString.Invariant($"{l.Layer,5}  {l.Train,8:0.000}  {l.Validation,10:0.000}  {l.Control,7:0.000}  {l.Selectivity,11:0.000}"));
        return text.ToString();
    }
}
