using Arrakis.Bench;
using Arrakis.Tokenizers;

namespace Arrakis.Scripting;

/// <summary>
/// What a script sees as top-level names: <see cref="Model"/>, <see cref="Tokenizer"/>, <see cref="Tools"/>,
/// <see cref="Bench"/>, <see cref="Args"/>, <see cref="Out"/>, <see cref="Cancellation"/> (plus <see cref="OutDir"/>
/// and <see cref="Progress"/>).
/// </summary>
/// <remarks>
/// The model, tokenizer and bench are created on first use, so a script that never touches the model costs no model
/// load, and a script that does not compile never loads one. <see cref="Cancellation"/> is this object's own token:
/// the host cancels it when the token given to <see cref="ScriptHost.RunAsync"/> is cancelled (Roslyn never hands
/// that token to running script code, so scripts must poll this one).
/// </remarks>
public class ScriptGlobals
{
    private readonly Lazy<HookedTransformer> _model;
    private readonly Lazy<ArrakisTokenizer?> _tokenizer;
    private readonly Lazy<ScriptBench> _bench;
    private readonly Lazy<Arrakis.Plots.PlotSession> _plot;
    private (string Path, string Text)? _script;
    private CancellationTokenSource _cancellation = new();

    /// <summary>Globals over a model factory (called at most once, on first use of <see cref="Model"/>).</summary>
    /// <param name="model">Loads the model.</param>
    /// <param name="tokenizer">Loads the tokenizer; null for the model's own (<see cref="HookedTransformer.Tokenizer"/>).</param>
    /// <param name="tools">The tool registry (the plugin host's); null for an empty one.</param>
    /// <param name="args">The script's arguments (after <c>--</c> on the command line).</param>
    /// <param name="outDir">Where the bench's experiment store lives.</param>
    /// <param name="output">Where <see cref="Out"/> writes; default: standard output.</param>
    /// <param name="progress">Progress reporting; default: none.</param>
    /// <param name="modelName">The model's name as asked for (for messages).</param>
    /// <param name="pluginReport">The plugin host's current load report (<c>Tools.Report</c>); null without a plugin host.</param>
    public ScriptGlobals(
        Func<HookedTransformer> model,
        Func<ArrakisTokenizer?>? tokenizer = null,
        IToolRegistry? tools = null,
        IReadOnlyList<string>? args = null,
        string outDir = "experiments",
        TextWriter? output = null,
        IScriptProgress? progress = null,
        string? modelName = null,
        Func<Arrakis.Bench.Plugins.PluginLoadReport>? pluginReport = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = new Lazy<HookedTransformer>(model, LazyThreadSafetyMode.ExecutionAndPublication);
        _tokenizer = new Lazy<ArrakisTokenizer?>(tokenizer ?? (() => Model.Tokenizer), LazyThreadSafetyMode.ExecutionAndPublication);
        // Model tools (the built-in decomposer, logit, composer) come bound to Model; the model loads on such a lookup only.
        Tools = new Arrakis.Bench.Tools.ModelBoundTools(tools, () => Model, pluginReport);
        Args = args ?? [];
        OutDir = outDir;
        Out = output ?? Console.Out;
        Progress = progress ?? ScriptProgress.None;
        ModelName = modelName;
        _plot = new Lazy<Arrakis.Plots.PlotSession>(() => new Arrakis.Plots.PlotSession(() => Bench.Store,
            id => HasTokenizer ? Tokenizer.Decode([id]) : id.ToString(System.Globalization.CultureInfo.InvariantCulture)), LazyThreadSafetyMode.ExecutionAndPublication);
        _bench = new Lazy<ScriptBench>(() => new ScriptBench(Model, OutDir, Tools, () => _script) { FigureWriter = Plot.Writer }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The model (<c>--model</c>), loaded on first use.</summary>
    public HookedTransformer Model => _model.Value;

    /// <summary>The model's tokenizer, loaded on first use.</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer (a hand-built or random model).</exception>
    public ArrakisTokenizer Tokenizer => _tokenizer.Value ?? throw new InvalidOperationException(
        $"The model {(ModelName is null ? "" : $"'{ModelName}' ")}has no tokenizer; feed token ids as tensors, or choose a model with a tokenizer (--model).");

    /// <summary>Whether the model has a tokenizer (loads it).</summary>
    public bool HasTokenizer => _tokenizer.Value is not null;

    /// <summary>
    /// The tools: <c>Tools.Get&lt;IResidualDecomposer&gt;("decomposer")</c>, or <c>Tools.Get("decomposer")</c>. A tool that
    /// works on a model (<see cref="IModelTool"/>) comes bound to <see cref="Model"/>; <c>Tools.For(other)</c> binds
    /// them to another model; <c>Tools.Report</c> is the plugin load report as it is now (reload failures included).
    /// </summary>
    public Arrakis.Bench.Tools.ModelBoundTools Tools { get; }

    /// <summary>
    /// A bench over <see cref="Model"/> and <see cref="Tools"/>, saving under <see cref="OutDir"/>; records top-level
    /// script code with <see cref="ScriptBench.Record{T}"/>.
    /// </summary>
    public ScriptBench Bench => _bench.Value;

    /// <summary>
    /// Figures (Arrakis's <c>plot_results</c>): <c>Plot.Show(result)</c> queues any value's default views for the next
    /// stored run (<c>Bench.Record</c>), <c>Plot.Save(result, "dla.png")</c> writes one to a file,
    /// <c>Plot.Report(experiment, runId)</c> writes the run's self-contained HTML report and returns its path.
    /// </summary>
    public Arrakis.Plots.PlotSession Plot => _plot.Value;

    /// <summary>The running script's path, or null in the REPL.</summary>
    public string? ScriptPath => _script?.Path;

    internal void AttachScript(string path, string text) => _script = (path, text);

    /// <summary>The script's arguments.</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>Where the experiment store lives (<c>--out</c>); pass it to a script's own bench classes.</summary>
    public string OutDir { get; }

    /// <summary>The script's output.</summary>
    public TextWriter Out { get; }

    /// <summary>Cancelled on Ctrl+C; long loops should check it (<c>Cancellation.ThrowIfCancellationRequested()</c>).</summary>
    public CancellationToken Cancellation => Volatile.Read(ref _cancellation).Token;

    /// <summary>Progress bars for long loops: <c>using var bar = Progress.Start("patching", pairs.Count); … bar.Advance();</c></summary>
    public IScriptProgress Progress { get; }

    /// <summary>The model's name as asked for, or null.</summary>
    public string? ModelName { get; }

    /// <summary>Whether the model was loaded (the script touched <see cref="Model"/>).</summary>
    public bool ModelLoaded => _model.IsValueCreated;

    /// <summary>Prints a value on <see cref="Out"/> (REPL style).</summary>
    public void Print(object? value) => Out.WriteLine(value);

    internal void Cancel()
    {
        try { Volatile.Read(ref _cancellation).Cancel(); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>A fresh token for the next run after a cancelled one (a REPL session goes on after Ctrl+C).</summary>
    internal void BeginRun()
    {
        if (Volatile.Read(ref _cancellation).IsCancellationRequested) Volatile.Write(ref _cancellation, new CancellationTokenSource());
    }
}
