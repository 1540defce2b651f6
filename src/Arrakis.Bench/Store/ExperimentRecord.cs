using System.Text.Json.Nodes;

namespace Arrakis.Bench;

/// <summary>
/// One run of an experiment, as written (one JSON line) to <c>{saveDir}/{experiment}/runs.jsonl</c>. Records are
/// only ever appended; the experiment's source for <see cref="CodeVersion"/> lives in
/// <c>{saveDir}/{experiment}/versions/{CodeVersion}.cs</c>.
/// </summary>
public sealed record ExperimentRecord
{
    /// <summary>The record format's version.</summary>
    public int Schema { get; init; } = 1;

    /// <summary>A unique id for this run (time-ordered: UTC timestamp then random suffix).</summary>
    public required string RunId { get; init; }

    /// <summary>The experiment's name.</summary>
    public required string Experiment { get; init; }

    /// <summary>The code version: hash of the method's source at compile time.</summary>
    public required string CodeVersion { get; init; }

    /// <summary>The source file, relative to its project.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The 1-based line of the method in <see cref="SourcePath"/>.</summary>
    public int Line { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the experiment body ran, in milliseconds (hypothesis sampling not included).</summary>
    public double DurationMs { get; init; }

    /// <summary><c>ok</c>, or <c>failed</c> when the experiment threw (see <see cref="Error"/>).</summary>
    public string Status { get; init; } = "ok";

    /// <summary>The exception's type and message when the run failed.</summary>
    public string? Error { get; init; }

    /// <summary>The model the bench ran against.</summary>
    public ModelRecord? Model { get; init; }

    /// <summary>The tools the run used, with their versions.</summary>
    public IReadOnlyList<ToolRecord> Tools { get; init; } = [];

    /// <summary>The ordinary arguments by parameter name (see <see cref="ExperimentJson"/> for tensors and unserialisable values).</summary>
    public JsonObject? Arguments { get; init; }

    /// <summary>The result (null for <c>void</c> and failed runs).</summary>
    public JsonNode? Result { get; init; }

    /// <summary>The <c>[TestHypothesis]</c> outcome, if the experiment has one.</summary>
    public HypothesisResult? Hypothesis { get; init; }

    /// <summary>The <c>[ProfileModel]</c> measurements, if the experiment has them.</summary>
    public ModelProfile? Profile { get; init; }

    /// <summary>
    /// The run's figures (<c>[PlotResults]</c>, a script's <c>Plot.Show</c>): files under <c>figures/{runId}/</c> in the
    /// experiment's folder, named here by relative path, never held in the line itself.
    /// </summary>
    public IReadOnlyList<FigureRecord> Figures { get; init; } = [];

    /// <summary>What could not be recorded faithfully (e.g. an argument kept only as its type and ToString).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>The model identity recorded with a run.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Config">Its configuration (JSON, or a JSON string when it did not parse).</param>
/// <param name="WeightsHash">A hash of its weights.</param>
public sealed record ModelRecord(string Name, JsonNode? Config, string WeightsHash);

/// <summary>A tool as used by a run.</summary>
/// <param name="Name">The tool's registry name.</param>
/// <param name="Implementation">The implementing type's full name.</param>
/// <param name="Assembly">The implementing assembly's name.</param>
/// <param name="Version">The implementing assembly's informational version (or assembly version).</param>
public sealed record ToolRecord(string Name, string Implementation, string Assembly, string Version);
