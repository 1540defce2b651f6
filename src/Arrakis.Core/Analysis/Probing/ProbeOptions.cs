namespace Arrakis.Probing;

/// <summary>Options of <see cref="LinearProbing"/>.</summary>
public sealed record ProbeOptions
{
    /// <summary>The options used when none are given.</summary>
    public static ProbeOptions Default { get; } = new();

    /// <summary>Fraction of the examples the probe is trained on (seeded split); the rest validate. Default 0.75.</summary>
    public double TrainFraction { get; init; } = 0.75;

    /// <summary>Seed of the split, the control task's shuffle and the initialisation.</summary>
    public long Seed { get; init; }

    /// <summary>Full-batch Adam steps of the logistic probe (default 300).</summary>
    public int Steps { get; init; } = 300;

    /// <summary>Adam's learning rate (default 0.05).</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>L2 penalty λ on the weights: λ‖W‖² added to the mean cross-entropy (logistic, default 1e-3), or the ridge λ (default 1).</summary>
    public double? L2 { get; init; }
}

/// <summary>Progress of a probe fit: layer (0-based) of layers, and the step within it.</summary>
public sealed record ProbeProgress(int Layer, int Layers, int Step, int Steps);
