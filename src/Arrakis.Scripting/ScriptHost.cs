using System.Diagnostics;
using System.Reflection;

namespace Arrakis.Scripting;

/// <summary>
/// Compiles and runs C# scripts (.csx) against <see cref="ScriptGlobals"/>.
/// </summary>
/// <remarks>
/// <para><b>Compile.</b> Default imports (<see cref="ScriptHostOptions.DefaultImports"/>), <c>#load</c> relative to
/// the script, <c>#r</c> for contract assemblies, <c>[UseTools]</c> wired by the generator's own parser and emitter
/// and checked by its analyzer; errors print as <c>file.csx(line,col): error ID: message</c>. Compiled scripts are
/// cached (<see cref="ScriptCache"/>); a cached run never loads the compiler.</para>
/// <para><b>Run.</b> Each run loads the script's assembly into its own collectible context and unloads it afterwards,
/// so long sessions stay flat. The script runs on its own thread; the token given to <see cref="RunAsync"/> cancels
/// <see cref="ScriptGlobals.Cancellation"/> (script code never sees the runner's token), and a script that ignores it
/// is abandoned after <see cref="ScriptHostOptions.CancellationGrace"/>. Runtime exceptions carry the script's own
/// line numbers (portable PDB).</para>
/// </remarks>
public sealed class ScriptHost
{
    private string? _hostVersion;
    private readonly List<AbandonedRun> _abandoned = [];

    /// <summary>A host with <paramref name="options"/> (defaults when null).</summary>
    public ScriptHost(ScriptHostOptions? options = null)
    {
        Options = options ?? new ScriptHostOptions();
        Cache = Options.UseCache ? new ScriptCache(Options.CacheDirectory ?? ScriptCache.DefaultDirectory()) : null;
    }

    /// <summary>The options.</summary>
    public ScriptHostOptions Options { get; }

    /// <summary>
    /// Cancelled runs that ignored <see cref="ScriptGlobals.Cancellation"/> past the grace period and are still running
    /// on their threads (each keeps a core busy; .NET cannot stop a thread, only ending the process does).
    /// </summary>
    public IReadOnlyList<AbandonedRun> AbandonedRuns
    {
        get
        {
            lock (_abandoned)
            {
                _abandoned.RemoveAll(r => !r.IsRunning);
                return _abandoned.ToArray();
            }
        }
    }

    internal ScriptCache? Cache { get; }

    /// <summary>The compile cache's folder, or null when caching is off.</summary>
    public string? CacheDirectory => Cache?.Directory;

    /// <summary>What a compiled script depends on besides its own files (part of the cache key).</summary>
    public string HostVersion => _hostVersion ??= ScriptCache.HostVersion(
        HostAssemblies().Concat(Options.References).Append(typeof(ScriptHost).Assembly),
        CompilerVersions().Concat(Options.ReferencePaths.Select(FileStamp)), Options.Imports);

    private static string FileStamp(string path)
    {
        var info = new FileInfo(path);
        return $"{info.FullName}:{(info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "missing")}";
    }

    /// <summary>Compiles the script at <paramref name="path"/>, or takes it from the cache.</summary>
    /// <exception cref="ScriptNotFoundException">No such file.</exception>
    /// <exception cref="ScriptCompilationException">It does not compile.</exception>
    public async Task<CompiledScript> CompileFileAsync(string path, CancellationToken ct = default)
    {
        long start = Stopwatch.GetTimestamp();
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ScriptNotFoundException($"'{path}' is a folder, not a script file.");
        if (!File.Exists(full)) throw new ScriptNotFoundException($"Script not found: '{path}' (looked for {full}).");
        string text;
        try { text = await File.ReadAllTextAsync(full, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScriptNotFoundException($"Cannot read the script '{path}': {e.Message}");
        }
        return await CompileAsync(text, full, start, ct).ConfigureAwait(false);
    }

    /// <summary>Compiles <paramref name="code"/> as if it were the file <paramref name="path"/> (which need not exist).</summary>
    public Task<CompiledScript> CompileCodeAsync(string code, string path = "script.csx", CancellationToken ct = default) =>
        CompileAsync(code, Path.GetFullPath(path), Stopwatch.GetTimestamp(), ct);

    private async Task<CompiledScript> CompileAsync(string text, string full, long start, CancellationToken ct)
    {
        var (key, _) = ScriptCache.ComputeKey(full, text, HostVersion);
        if (Cache?.TryLoad(full, text, key, Stopwatch.GetElapsedTime(start)) is CompiledScript cached) return cached;
        var output = await ScriptCompiler.CompileAsync(text, full, Options, previous: null, ct).ConfigureAwait(false);
        var compiled = new CompiledScript(full, output.Image, output.Pdb, output.EntryType, output.EntryMethod,
            output.DirectiveReferences, key, fromCache: false, Stopwatch.GetElapsedTime(start), text);
        Cache?.Store(compiled);
        return compiled;
    }

    /// <summary>Compiles (or reads from the cache) and runs the script at <paramref name="path"/>.</summary>
    public async Task<ScriptRunResult> RunFileAsync(string path, ScriptGlobals globals, CancellationToken ct = default)
    {
        CompiledScript compiled = await CompileFileAsync(path, ct).ConfigureAwait(false);
        return await RunAsync(compiled, globals, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="script"/> on its own thread in its own collectible load context. Cancelling
    /// <paramref name="ct"/> cancels <see cref="ScriptGlobals.Cancellation"/>.
    /// </summary>
    /// <exception cref="ScriptRuntimeException">The script threw.</exception>
    /// <exception cref="ScriptCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<ScriptRunResult> RunAsync(CompiledScript script, ScriptGlobals globals, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(globals);
        long start = Stopwatch.GetTimestamp();
        globals.AttachScript(script.Path, script.Source);
        ScriptLoadContext.LoadDirectiveReferences(script.DirectiveReferences);
        if (!script.HasCode) return new ScriptRunResult(null, Stopwatch.GetElapsedTime(start), new WeakReference(null));
        var context = new ScriptLoadContext(Path.GetFileName(script.Path), script.DirectiveReferences);
        var unload = new WeakReference(context);
        bool abandoned = false;
        try
        {
            Assembly assembly = context.LoadSubmission(script.Image, script.Pdb);
            var factory = Factory(assembly, script.EntryType, script.EntryMethod);
            var submissions = new object?[2];
            submissions[0] = globals;
            object? value = await RunOnOwnThreadAsync(() => factory(submissions!), globals, ct).ConfigureAwait(false);
            return new ScriptRunResult(value, Stopwatch.GetElapsedTime(start), unload);
        }
        catch (ScriptCanceledException e) when (e.Abandoned)
        {
            abandoned = true; // its code is still running: leave the context loaded
            throw;
        }
        finally
        {
            if (!abandoned) context.Unload();
        }
    }

    internal static Func<object[], Task<object>> Factory(Assembly assembly, string entryType, string entryMethod)
    {
        Type type = assembly.GetType(entryType, throwOnError: true)!;
        MethodInfo method = type.GetMethod(entryMethod, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"The compiled script has no {entryType}.{entryMethod}.");
        return method.CreateDelegate<Func<object[], Task<object>>>();
    }

    /// <summary>Starts the script on a dedicated thread and waits for it, or for cancellation plus the grace period.</summary>
    internal async Task<object?> RunOnOwnThreadAsync(Func<Task<object>> start, ScriptGlobals globals, CancellationToken ct)
    {
        globals.BeginRun();
        using var guard = new NativeMemoryGuard(Options.CollectAfterGrowth);
        var done = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                start().ContinueWith(t =>
                {
                    if (t.IsFaulted) done.TrySetException(t.Exception!.InnerExceptions);
                    else if (t.IsCanceled) done.TrySetCanceled();
                    else done.TrySetResult(t.Result);
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }, Options.StackSize)
        { IsBackground = true, Name = "arrakis script" };
        thread.Start();

        using (ct.Register(globals.Cancel))
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var _ = ct.Register(() => cancelled.TrySetResult());
            if (await Task.WhenAny(done.Task, cancelled.Task).ConfigureAwait(false) != done.Task
                && await Task.WhenAny(done.Task, Task.Delay(Options.CancellationGrace, CancellationToken.None)).ConfigureAwait(false) != done.Task)
            {
                lock (_abandoned) _abandoned.Add(new AbandonedRun(thread, DateTimeOffset.Now));
                throw new ScriptCanceledException(abandoned: true);
            }
        }
        // The script's thread may still be unwinding out of script frames; wait for it so its code can be unloaded.
        if (done.Task.IsCompleted) thread.Join(TimeSpan.FromSeconds(1));
        try
        {
            object? value = await done.Task.ConfigureAwait(false);
            if (ct.IsCancellationRequested) throw new ScriptCanceledException(abandoned: false);
            return value;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || globals.Cancellation.IsCancellationRequested)
        {
            throw new ScriptCanceledException(abandoned: false);
        }
        catch (Exception e) when (e is not ScriptException)
        {
            throw new ScriptRuntimeException(e);
        }
    }

    /// <summary>The assemblies every script references: the runtime's basics, Arrakis, TorchSharp, the tokenizers.</summary>
    internal static IEnumerable<Assembly> HostAssemblies()
    {
        yield return typeof(object).Assembly;
        yield return typeof(Enumerable).Assembly;
        yield return typeof(List<>).Assembly;
        yield return typeof(Console).Assembly;
        yield return typeof(System.Text.Json.JsonSerializer).Assembly;
        yield return typeof(System.Collections.Concurrent.ConcurrentDictionary<,>).Assembly;
        yield return typeof(System.Text.RegularExpressions.Regex).Assembly;
        yield return typeof(System.Diagnostics.Stopwatch).Assembly;
        yield return typeof(System.Runtime.InteropServices.Marshal).Assembly;
        yield return typeof(System.ComponentModel.INotifyPropertyChanged).Assembly;
        yield return Assembly.Load("System.Runtime");
        yield return Assembly.Load("netstandard");
        yield return typeof(IToolRegistry).Assembly;
        yield return typeof(HookedTransformer).Assembly;
        yield return typeof(Arrakis.Bench.InterpretabilityBench).Assembly;
        yield return typeof(ScriptGlobals).Assembly;
        yield return typeof(Arrakis.Plots.PlotSession).Assembly;
        yield return typeof(TorchSharp.torch).Assembly;
        yield return typeof(Microsoft.ML.Tokenizers.Tokenizer).Assembly;
    }

    /// <summary>The compiler's version and the [UseTools] emitter's build, without loading the compiler.</summary>
    private static IEnumerable<string> CompilerVersions()
    {
        foreach (var name in typeof(ScriptHost).Assembly.GetReferencedAssemblies().Where(n => n.Name?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true))
            yield return name.FullName;
        yield return "Arrakis.Generators=" + Assembly.Load("Arrakis.Generators").ManifestModule.ModuleVersionId;
    }
}

/// <summary>A cancelled run still running on its thread (<see cref="ScriptHost.AbandonedRuns"/>).</summary>
public sealed class AbandonedRun
{
    private readonly Thread _thread;

    internal AbandonedRun(Thread thread, DateTimeOffset since)
    {
        _thread = thread;
        Since = since;
    }

    /// <summary>When it was abandoned.</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Whether its thread is still running.</summary>
    public bool IsRunning => _thread.IsAlive;
}

/// <summary>The outcome of a script run.</summary>
/// <param name="Value">The value of the script's final expression, if any.</param>
/// <param name="RunTime">Wall time of the run.</param>
/// <param name="LoadContext">The run's load context, for checks that it was unloaded.</param>
public sealed record ScriptRunResult(object? Value, TimeSpan RunTime, WeakReference LoadContext);
