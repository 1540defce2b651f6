namespace Arrakis.Tools;

/// <summary>How the residual stream moves through the blocks (<see cref="IResidualTools.ResidualMovement"/>).</summary>
public sealed record ResidualMovementResult(int BatchIndex, IReadOnlyList<ResidualMovementStep> Steps)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#layer", "#‖before‖", "#‖after‖", "#cosine", "#‖Δ‖/‖before‖", "#attn share", "#mlp share");
        foreach (var s in Steps) table.Row(s.Layer, s.NormBefore, s.NormAfter, s.Cosine, s.RelativeChange, s.AttentionShare, s.MlpShare);
        return table.Render($"Residual stream of sequence {BatchIndex} through each block (means over positions; shares of Δ = ⟨c, Δ⟩/‖Δ‖², summing to 1):");
    }
}

/// <summary>Attribution of one logit to the input tokens (<see cref="IResidualTools.FeatureAttribution"/>).</summary>
/// <param name="Method">"integrated gradients (m steps)" or "gradient × input (approximate)".</param>
/// <param name="TargetToken">The vocabulary id whose logit is attributed.</param>
/// <param name="Position">The position of that logit.</param>
/// <param name="Baseline">"zero embeddings" or "token {id}".</param>
/// <param name="Sources">Per input position: its token and its attribution.</param>
/// <param name="Logit">The logit at the input.</param>
/// <param name="BaselineLogit">The logit at the baseline.</param>
public sealed record FeatureAttributionResult(string Method, long TargetToken, int Position, string Baseline, IReadOnlyList<SourceAttribution> Sources,
    double Logit, double BaselineLogit)
{
    /// <summary>Σ of the attributions.</summary>
    public double Total => Sources.Sum(s => s.Value);

    /// <summary>|Σ − (logit − baseline logit)| / |logit − baseline logit|.</summary>
    public double CompletenessError => Math.Abs(Total - (Logit - BaselineLogit)) / Math.Max(Math.Abs(Logit - BaselineLogit), 1e-12);

    /// <inheritdoc />
    public override string ToString()
    {
        var table = new Table("#position", "#token", "#attribution");
        foreach (var s in Sources) table.Row(s.Position, s.Token, s.Value);
        return table.Render($"{Method} of the logit of token {TargetToken} at position {Position} (baseline: {Baseline}): Σ {Table.Number(Total)} vs " +
            $"logit − baseline logit {Table.Number(Logit - BaselineLogit)} (completeness error {Table.Percent(CompletenessError)}):");
    }
}
