namespace Arrakis;

/// <summary>The metric of one sender → receiver path-patching experiment.</summary>
/// <param name="Sender">The head whose output is corrupted.</param>
/// <param name="Receiver">The head whose inputs receive the corrupted output.</param>
/// <param name="Through">Which receiver inputs the path enters.</param>
/// <param name="Clean">Metric on the clean input.</param>
/// <param name="Corrupted">Metric with the corruption applied everywhere: the corrupted input, or the sender ablated along every path.</param>
/// <param name="Patched">Metric when only the sender → receiver path carries the corruption.</param>
public sealed record PathPatchingResult(HeadIndex Sender, HeadIndex Receiver, PathInput Through, double Clean, double Corrupted, double Patched)
{
    /// <summary>The share of the total effect that this path carries: (clean − patched) / (clean − corrupted); NaN when corrupting changes nothing.</summary>
    public double Fraction => Clean == Corrupted ? double.NaN : (Clean - Patched) / (Clean - Corrupted);
}
