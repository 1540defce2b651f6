using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Arrakis.Bench.Tools;

namespace Arrakis.Bench;

/// <summary>
/// The experiment bench (Arrakis's <c>BaseInterpretabilityBench</c>): a model, its tools and the experiment store.
/// Experiments are methods of a <c>partial</c> class deriving from it, marked <see cref="UseToolsAttribute"/>
/// (plus <see cref="LogExperimentAttribute"/>, <see cref="TestHypothesisAttribute"/>, <see cref="ProfileModelAttribute"/>); the Arrakis generator adds
/// their callable forms, which call back into <see cref="RunExperiment{T}(ExperimentCall, Func{T})"/>.
/// </summary>
/// <example><code>
/// public partial class MIExperiment(HookedTransformer model, IToolRegistry tools) : InterpretabilityBench(model, tools: tools)
/// {
///     [UseTools("decomposer")]
///     public ResidualDecompositionResult TestResidualDecomposer(Tensor inputIds, int layerIdx, IResidualDecomposer decomposer)
///         => decomposer.DecomposeResidual(inputIds, layerIdx);
/// }
///
/// var exp = new MIExperiment(model, registry);
/// exp.TestResidualDecomposer(inputIds, 0);
/// </code></example>
/// <remarks>
/// Figures (<see cref="PlotResultsAttribute"/>, a script's <c>Plot</c>) are written by <see cref="FigureWriter"/> into
/// <c>{experiment}/figures/{runId}/</c> before the record is appended, and listed in <see cref="ExperimentRecord.Figures"/>.
/// </remarks>
public class InterpretabilityBench
{
    private readonly global::Arrakis.Bench.Tools.ModelBoundTools _tools;
    private ModelRecord? _modelRecord;
    private ExperimentRecord? _lastRun;

    /// <summary>A bench over <paramref name="model"/>, recording under <paramref name="saveDir"/>.</summary>
    /// <param name="model">The model experiments run against (its identity goes into every record).</param>
    /// <param name="saveDir">Where the experiment store lives (created on the first logged run).</param>
    /// <param name="tools">The tool registry (the plugin host's); null for a bench with only tools added in code.</param>
    /// <param name="warn">Receives warnings (unserialisable arguments, corrupted records); default: standard error.</param>
    public InterpretabilityBench(HookedTransformer model, string saveDir = "experiments", IToolRegistry? tools = null, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Warn = warn ?? (message => Console.Error.WriteLine($"arrakis: warning: {message}"));
        Store = new ExperimentStore(saveDir, Warn);
        _tools = global::Arrakis.Bench.Tools.ModelBoundTools.Over(tools, model); // a script's Tools are unwrapped, not bound twice
    }

    /// <summary>The model experiments run against.</summary>
    public HookedTransformer Model { get; }

    /// <summary>
    /// Writes each stored run's figures. Default: <c>Arrakis.Plots.RunFigureWriter</c> when the Arrakis.Plots assembly
    /// can be loaded (it is referenced by the script host and the <c>arrakis</c> command), else null, and a
    /// <c>[PlotResults]</c> run is recorded with a warning saying its figures were not drawn.
    /// </summary>
    public IFigureWriter? FigureWriter
    {
        // Resolved on first use, so a bench that never writes a figure never loads the plotting assembly.
        get => _figureWriter.Value;
        set => _figureWriter = new Lazy<IFigureWriter?>(value);
    }

    private Lazy<IFigureWriter?> _figureWriter = new(DefaultFigureWriter.Create);

    /// <summary>
    /// The tools: those added with <see cref="AddTool{TContract}"/>, then the registry's. A tool that implements
    /// <see cref="IModelTool"/> (the built-in decomposer, logit attributor and composer) comes bound to <see cref="Model"/>.
    /// </summary>
    public global::Arrakis.Bench.Tools.ModelBoundTools Tools => _tools;

    /// <summary>The experiment store (<c>{saveDir}/{experiment}/</c>).</summary>
    public ExperimentStore Store { get; }

    /// <summary>Where warnings go.</summary>
    public Action<string> Warn { get; }

    /// <summary>The record of the most recent recorded run of this bench (logged or not), e.g. to read its hypothesis test.</summary>
    public ExperimentRecord? LastRun => Volatile.Read(ref _lastRun);

    /// <summary>
    /// The model identity recorded with every run: name, configuration and weights hash. Hashed at the first
    /// recorded run and kept; call <see cref="RefreshModelIdentity"/> after changing the weights in place.
    /// </summary>
    public ModelRecord ModelIdentity => _modelRecord ??= Bench.ModelIdentity.Describe(Model);

    /// <summary>Re-hashes the model (after fine-tuning, weight processing or surgery on this bench's model).</summary>
    public void RefreshModelIdentity() => _modelRecord = Bench.ModelIdentity.Describe(Model);

    /// <summary>Adds (or replaces) a tool in code, ahead of the registry's tool of the same name.</summary>
    public void AddTool<TContract>(string name, TContract tool) where TContract : class => _tools.Add(name, tool);

    /// <summary>The code versions of an experiment (Arrakis's <c>list_versions</c>).</summary>
    public IReadOnlyList<ExperimentVersionSummary> ListVersions(string experiment) => Store.ListVersions(experiment);

    /// <summary>One code version's source and runs (Arrakis's <c>get_version</c>), or null.</summary>
    public ExperimentVersion? GetVersion(string experiment, string codeVersion) => Store.GetVersion(experiment, codeVersion);

    /// <summary>
    /// Resolves a tool for a recorded experiment (called by generated code before the run starts). When the tool cannot
    /// be resolved — its plugin failed to load, or it is registered under another contract — the run is recorded as
    /// failed (when <paramref name="log"/>) with the reason, and a <see cref="ToolUnavailableException"/> saying so is thrown.
    /// </summary>
    /// <exception cref="ToolUnavailableException">The tool is not available; the message names the failed plugin and why.</exception>
    protected TContract ResolveTool<TContract>(ExperimentInfo info, object?[] arguments, string name, bool log) where TContract : class
    {
        ArgumentNullException.ThrowIfNull(info);
        try
        {
            return Tools.Get<TContract>(name);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidCastException)
        {
            var error = new ToolUnavailableException(info.Name, name,
                $"Experiment '{info.Name}' needs tool '{name}' ({typeof(TContract).FullName}), which is not available: {e.Message}", e);
            var call = new ExperimentCall(info, arguments, []) { Log = log };
            if (log) Store.EnsureWritable(info.Name);
            Record(call, DateTimeOffset.UtcNow, TimeSpan.Zero, result: null, hasResult: false, error, profiler: null);
            throw error;
        }
    }

    /// <summary>Runs a recorded experiment: checks the store first, times <paramref name="body"/>, runs the hypothesis test and records the run.</summary>
    /// <remarks>Called by generated code; a failing run is recorded and its exception rethrown; a cancelled run (<see cref="OperationCanceledException"/>) is not recorded.</remarks>
    protected T RunExperiment<T>(ExperimentCall call, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Log) Store.EnsureWritable(call.Info.Name);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long start = Stopwatch.GetTimestamp();
        T result;
        using var profiler = call.Profile is Granularity granularity ? new ModelProfiler(Model, granularity) : null;
        try
        {
            result = body();
        }
        catch (OperationCanceledException)
        {
            throw; // a cancelled run (Ctrl+C) leaves no record, not even a failed one
        }
        catch (Exception ex)
        {
            Record(call, started, Stopwatch.GetElapsedTime(start), result: null, hasResult: false, ex, profiler);
            throw;
        }
        Record(call, started, Stopwatch.GetElapsedTime(start), result, hasResult: true, error: null, profiler);
        return result;
    }

    /// <inheritdoc cref="RunExperiment{T}(ExperimentCall, Func{T})"/>
    protected void RunExperiment(ExperimentCall call, Action body) =>
        RunExperiment<object?>(call, () => { body(); return null; });

    /// <inheritdoc cref="RunExperiment{T}(ExperimentCall, Func{T})"/>
    protected async Task<T> RunExperimentAsync<T>(ExperimentCall call, Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Log) Store.EnsureWritable(call.Info.Name);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long start = Stopwatch.GetTimestamp();
        T result;
        using var profiler = call.Profile is Granularity granularity ? new ModelProfiler(Model, granularity) : null;
        try
        {
            result = await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw; // a cancelled run (Ctrl+C) leaves no record, not even a failed one
        }
        catch (Exception ex)
        {
            Record(call, started, Stopwatch.GetElapsedTime(start), result: null, hasResult: false, ex, profiler);
            throw;
        }
        Record(call, started, Stopwatch.GetElapsedTime(start), result, hasResult: true, error: null, profiler);
        return result;
    }

    /// <inheritdoc cref="RunExperiment{T}(ExperimentCall, Func{T})"/>
    protected Task RunExperimentAsync(ExperimentCall call, Func<Task> body) =>
        RunExperimentAsync<object?>(call, async () => { await body().ConfigureAwait(false); return null; });

    private void Record(ExperimentCall call, DateTimeOffset started, TimeSpan duration, object? result, bool hasResult, Exception? error, ModelProfiler? profiler)
    {
        ModelProfile? profile = profiler?.Result();
        profiler?.Dispose(); // detach before the hypothesis samples run the model again
        ExperimentInfo info = call.Info;
        string runId = $"{started.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        TensorSidecars? sidecars = call.Log ? Store.Sidecars(info.Name, runId) : null;
        var warnings = new List<string>();

        var arguments = new JsonObject();
        for (int i = 0; i < call.Arguments.Count; i++)
        {
            string name = i < info.ParameterNames.Count ? info.ParameterNames[i] : $"arg{i}";
            arguments[name] = ExperimentJson.Encode(call.Arguments[i], $"argument '{name}' of {info.Name}", sidecars, warnings);
        }

        HypothesisResult? hypothesis = error is null ? call.Hypothesis?.Run() : null;
        IReadOnlyList<FigureRecord> figures = [];
        if (call.Log && FigureWriter is { } writer)
        {
            try
            {
                figures = writer.WriteFigures(Store.ExperimentDirectory(info.Name), runId, error is null ? result : null, call.PlotResults && error is null, warnings);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                warnings.Add($"The figures of {info.Name} run {runId} could not be written ({e.GetType().Name}: {e.Message}); the run is recorded without them.");
            }
        }
        else if (call.PlotResults && call.Log)
        {
            warnings.Add($"{info.Name} has [PlotResults] but no figure writer is available (the Arrakis.Plots assembly is not loaded); the run is recorded without figures.");
        }
        else if (call.PlotResults)
        {
            warnings.Add($"{info.Name} has [PlotResults] without [LogExperiment]: figures are stored only with a stored run.");
        }
        var record = new ExperimentRecord
        {
            RunId = runId,
            Experiment = info.Name,
            CodeVersion = info.CodeVersion,
            SourcePath = info.SourcePath,
            Line = info.Line,
            StartedAt = started,
            DurationMs = duration.TotalMilliseconds,
            Status = error is null ? "ok" : "failed",
            Error = error is null ? null : $"{error.GetType().FullName}: {error.Message}",
            Model = ModelIdentity,
            Tools = call.Tools.Select(DescribeTool).ToList(),
            Arguments = arguments,
            Result = hasResult ? ExperimentJson.Encode(result, $"result of {info.Name}", sidecars, warnings) : null,
            Hypothesis = hypothesis,
            Profile = profile,
            Figures = figures,
            Warnings = warnings,
        };
        foreach (string warning in warnings) Warn(warning);
        if (call.Log) Store.Append(info, record);
        Volatile.Write(ref _lastRun, record);
    }

    private static ToolRecord DescribeTool(ToolUse use)
    {
        Type type = use.Tool.GetType();
        Assembly assembly = type.Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        return new ToolRecord(use.Name, type.FullName ?? type.Name, assembly.GetName().Name ?? "unknown", version);
    }
}
