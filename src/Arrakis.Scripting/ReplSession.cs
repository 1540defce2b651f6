using System.Reflection;

namespace Arrakis.Scripting;

/// <summary>
/// An interactive session: each submission sees the variables, functions and types of the earlier ones, and the same
/// <see cref="ScriptGlobals"/>. All submissions of a session share one collectible load context, which
/// <see cref="Reset"/> and <see cref="Dispose"/> unload, so a long session's memory is bounded by what it keeps, not by
/// how many sessions or scripts came before it.
/// </summary>
public sealed class ReplSession : IDisposable
{
    private readonly ScriptHost _host;
    private readonly string _path;
    private ScriptLoadContext _context;
    private object? _previous; // Script<object> of the last successful submission (kept as object: no compiler types here)
    private object?[] _states = new object?[8];
    private int _count;
    private readonly List<string> _history = [];

    /// <summary>A session over <paramref name="globals"/>; <paramref name="baseDirectory"/> anchors <c>#load</c> and <c>#r</c>.</summary>
    public ReplSession(ScriptHost host, ScriptGlobals globals, string? baseDirectory = null)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        Globals = globals ?? throw new ArgumentNullException(nameof(globals));
        _path = Path.Combine(Path.GetFullPath(baseDirectory ?? Environment.CurrentDirectory), "repl.csx");
        _context = NewContext();
        _states[0] = globals;
    }

    /// <summary>The globals every submission sees.</summary>
    public ScriptGlobals Globals { get; }

    /// <summary>The code of every submission that ran without error since the last reset, in order (what <c>#restart</c> saves).</summary>
    public IReadOnlyList<string> History => _history;

    /// <summary>How many submissions have run in this session (since the last reset).</summary>
    public int Submissions => _count;

    /// <summary>Whether <paramref name="code"/> is a complete submission (false: keep reading lines).</summary>
    public static bool IsComplete(string code) => ScriptCompiler.IsComplete(code);

    /// <summary>Compiles and runs one submission; returns the value of its final expression (or null).</summary>
    /// <exception cref="ScriptCompilationException">It does not compile; the session is unchanged.</exception>
    /// <exception cref="ScriptRuntimeException">It threw; its declarations are dropped.</exception>
    public async Task<object?> SubmitAsync(string code, CancellationToken ct = default)
    {
        var output = await ScriptCompiler.CompileAsync(code, _path, _host.Options,
            (Microsoft.CodeAnalysis.Scripting.Script<object>?)_previous, ct).ConfigureAwait(false);
        ScriptLoadContext.LoadDirectiveReferences(output.DirectiveReferences);
        if (!output.HasCode)
        {
            // Only usings, comments or #r: Roslyn emits no assembly and allocates no submission slot, but the chain
            // keeps the submission, so its usings and references hold for the next ones.
            _previous = output.Script;
            _count++;
            _history.Add(code);
            return null;
        }
        Assembly assembly = _context.LoadSubmission(output.Image, output.Pdb);
        var factory = ScriptHost.Factory(assembly, output.EntryType, output.EntryMethod);
        int slot = _count + 1; // at most this: code-free submissions take no slot
        if (_states.Length <= slot) Array.Resize(ref _states, _states.Length * 2);
        var states = _states;
        object? value = await _host.RunOnOwnThreadAsync(() => factory(states!), Globals, ct).ConfigureAwait(false);
        _previous = output.Script;
        _count++;
        _history.Add(code);
        return value;
    }

    /// <summary>The current load context (for checks that <see cref="Reset"/> unloads it).</summary>
    internal WeakReference CurrentContext => new(_context);

    /// <summary>Forgets every submission and unloads their assemblies.</summary>
    public void Reset()
    {
        _previous = null;
        _count = 0;
        _history.Clear();
        _states = new object?[8];
        _states[0] = Globals;
        _context.Unload();
        _context = NewContext();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _previous = null;
        _context.Unload();
    }

    private static ScriptLoadContext NewContext() => new("repl", []);
}
