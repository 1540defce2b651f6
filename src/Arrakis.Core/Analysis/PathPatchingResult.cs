namespace Arrakis;

/// <summary>The metric of one path-patching experiment: sender → receiver, or sender → a set of receivers patched together.</summary>
/// <param name="Sender">The head whose output is corrupted.</param>
/// <param name="Receivers">The heads whose inputs receive the corrupted output, all in one patched run (one head for a pair).</param>
/// <param name="Through">Which receiver inputs the path enters.</param>
/// <param name="Clean">Metric on the clean input.</param>
/// <param name="Corrupted">Metric with the corruption applied everywhere: the corrupted input, or the sender ablated along every path.</param>
/// <param name="Patched">Metric when only the paths from the sender into the receivers carry the corruption.</param>
public sealed record PathPatchingResult(HeadIndex Sender, IReadOnlyList<HeadIndex> Receivers, PathInput Through, double Clean, double Corrupted, double Patched)
{
    /// <summary>The share of the total effect that the path(s) carry: (clean − patched) / (clean − corrupted); NaN when corrupting changes nothing.</summary>
    public double Fraction => Clean == Corrupted ? double.NaN : (Clean - Patched) / (Clean - Corrupted);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Sender} → {string.Join(", ", Receivers)} through {Through}: clean {Clean:G5}, corrupted {Corrupted:G5}, patched {Patched:G5}, fraction {Fraction:P1}";
}
