namespace Arrakis.Bench;

/// <summary>
/// What one read of an experiment's <c>runs.jsonl</c> found (<see cref="ExperimentStore.Read"/>): the readable records
/// and the damaged lines. Everything here comes from that one read, so a caller that needs the runs, the versions and
/// the damage reads the file once.
/// </summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Records">The readable runs, oldest first.</param>
/// <param name="Damaged">The lines that could not be read, in file order.</param>
public sealed record ExperimentRuns(string Experiment, IReadOnlyList<ExperimentRecord> Records, IReadOnlyList<DamagedRecord> Damaged)
{
    /// <summary>The code versions that have runs, in order of their first run (as <see cref="ExperimentStore.ListVersions"/>).</summary>
    public IReadOnlyList<ExperimentVersionSummary> Versions =>
        Records.GroupBy(r => r.CodeVersion, StringComparer.Ordinal)
            .Select(g => new ExperimentVersionSummary(g.Key, g.Min(r => r.StartedAt), g.Max(r => r.StartedAt), g.Count()))
            .OrderBy(v => v.FirstRun)
            .ToList();

    /// <summary>The runs of one code version, oldest first.</summary>
    public IReadOnlyList<ExperimentRecord> OfVersion(string codeVersion) =>
        Records.Where(r => r.CodeVersion == codeVersion).ToList();
}
