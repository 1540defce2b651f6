namespace Arrakis.Bench;

/// <summary>One code version of an experiment, as listed by <see cref="ExperimentStore.ListVersions"/>.</summary>
/// <param name="CodeVersion">The hash of the method's source.</param>
/// <param name="FirstRun">When the first recorded run of this version started.</param>
/// <param name="LastRun">When the last recorded run of this version started.</param>
/// <param name="Runs">How many runs of this version are recorded.</param>
public sealed record ExperimentVersionSummary(string CodeVersion, DateTimeOffset FirstRun, DateTimeOffset LastRun, int Runs);

/// <summary>One code version of an experiment with its source and runs (<see cref="ExperimentStore.GetVersion(string, string)"/>).</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="CodeVersion">The hash of <paramref name="Source"/>.</param>
/// <param name="Source">The method's source as captured at compile time, or null if its file is missing.</param>
/// <param name="Runs">The recorded runs of this version, oldest first.</param>
public sealed record ExperimentVersion(string Experiment, string CodeVersion, string? Source, IReadOnlyList<ExperimentRecord> Runs);
