namespace Arrakis.Surgery;

/// <summary>A metric before and during an edit, and proof that the edit was undone (<see cref="ModelSurgery.Measure"/>).</summary>
/// <param name="Description">The edit.</param>
/// <param name="Before">The metric on the unedited model.</param>
/// <param name="After">The metric with the edit in force.</param>
/// <param name="ParametersChecked">How many state-dict entries were hashed before and after (all of them).</param>
public sealed record SurgeryResult(string Description, double Before, double After, int ParametersChecked)
{
    /// <summary>After − Before.</summary>
    public double Change => After - Before;

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant(
        $"{Description}: metric {Before:0.0000} → {After:0.0000} (change {Change:+0.0000;-0.0000}); {ParametersChecked} parameters byte-identical afterwards");
}
