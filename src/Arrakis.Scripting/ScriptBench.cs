using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Arrakis.Bench;

namespace Arrakis.Scripting;

/// <summary>
/// The bench scripts get as <see cref="ScriptGlobals.Bench"/>: an <see cref="InterpretabilityBench"/> that can also
/// record a run of top-level script code with <see cref="Record{T}"/>. Such a run's code version is a hash of the
/// script's text, and the store keeps the whole script as that version's source.
/// </summary>
public sealed class ScriptBench : InterpretabilityBench
{
    private readonly Func<(string Path, string Text)?> _script;

    internal ScriptBench(HookedTransformer model, string saveDir, IToolRegistry tools, Func<(string Path, string Text)?> script)
        : base(model, saveDir, tools) => _script = script;

    /// <summary>
    /// Runs <paramref name="body"/> and records the run as experiment <paramref name="experiment"/> in the store, with
    /// <paramref name="arguments"/> and the result (a failing run is recorded and rethrown; a cancelled one is not recorded).
    /// </summary>
    /// <example><code>var summary = Bench.Record("induction-circuit", new() { ["sequences"] = 32 }, () => Analyse());</code></example>
    public T Record<T>(string experiment, IReadOnlyDictionary<string, object?> arguments, Func<T> body, [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(experiment);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(body);
        var script = _script();
        string source = script?.Text.Replace("\r\n", "\n") ?? "";
        string version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..12];
        var info = new ExperimentInfo(experiment, version, script is { } s ? Path.GetFileName(s.Path) : "repl", line,
            arguments.Keys.ToArray(), source);
        var call = new ExperimentCall(info, arguments.Values.ToArray(), []) { Log = true };
        return RunExperiment(call, body);
    }
}
