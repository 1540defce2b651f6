namespace Arrakis;

/// <summary>The metric with one head ablated (<see cref="HeadAblation"/>).</summary>
/// <param name="Head">The ablated head.</param>
/// <param name="Clean">The metric of the unablated run, averaged over the batch.</param>
/// <param name="Ablated">The metric with the head ablated, averaged over the batch.</param>
public sealed record HeadAblationScore(HeadIndex Head, double Clean, double Ablated)
{
    /// <summary>Ablated − clean: negative when the head helps the metric.</summary>
    public double Effect => Ablated - Clean;
}
