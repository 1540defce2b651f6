using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Arrakis.Generators.Scripting;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;

namespace Arrakis.Scripting;

/// <summary>
/// The Roslyn side of the host, kept apart so a cached run never loads the compiler. Compiles a script (or a REPL
/// submission chained to the previous one), runs the <c>[UseTools]</c> generator's parser/emitter over it and appends
/// the callable forms, then reports CS and ARK errors together in source order.
/// </summary>
internal static class ScriptCompiler
{
    /// <summary>The runtime assemblies of Roslyn's scripting defaults (ScriptOptions.Default) and a few more.</summary>
    private static readonly string[] RuntimeFacades =
    [
        "mscorlib", "netstandard", "System", "System.Core", "System.Runtime", "System.Private.CoreLib", "System.Collections",
        "System.Collections.Concurrent", "System.Console", "System.Diagnostics.Debug", "System.Diagnostics.Process",
        "System.Diagnostics.StackTrace", "System.Globalization", "System.IO", "System.IO.FileSystem", "System.Linq",
        "System.Linq.Expressions", "System.Memory", "System.ObjectModel", "System.Reflection", "System.Reflection.Extensions",
        "System.Reflection.Primitives", "System.Runtime.Extensions", "System.Runtime.InteropServices", "System.Runtime.Numerics",
        "System.Text.Encoding", "System.Text.Encoding.Extensions", "System.Text.Json", "System.Text.RegularExpressions",
        "System.Threading", "System.Threading.Tasks", "System.Threading.Tasks.Parallel", "System.Threading.Thread", "System.ValueTuple",
        "System.ComponentModel", "System.ComponentModel.Primitives",
    ];

    /// <summary>
    /// Every reference a script gets, created once per process: the runtime facades Roslyn's scripting defaults name
    /// plus the host's assemblies. <c>ScriptOptions.Default</c> names its defaults unresolved, so each compilation would
    /// resolve and read them again (about 7 MB of native memory per compilation that was never given back); one shared
    /// set keeps a long session flat. This is why the options use <c>WithReferences</c> here: the replaced defaults are
    /// all in this list (elsewhere, <c>AddReferences</c> keeps them).
    /// </summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> HostReferences = new(() =>
    {
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var paths = RuntimeFacades.Select(name => Path.Combine(runtimeDirectory, name + ".dll")).Where(File.Exists)
            .Concat(ScriptHost.HostAssemblies().Select(a => a.Location))
            .Distinct(StringComparer.Ordinal);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, MetadataReference> ExtraReferences = new(StringComparer.Ordinal);

    /// <summary>A compiled script or submission. <see cref="Image"/> is empty when it has no executable code (only
    /// <c>using</c>s, comments or <c>#r</c>): Roslyn emits no assembly for it, and there is nothing to load or run.</summary>
    public sealed record Output(byte[] Image, byte[] Pdb, string EntryType, string EntryMethod, List<string> DirectiveReferences, Script<object> Script)
    {
        /// <summary>Whether there is an assembly to load and run.</summary>
        public bool HasCode => Image.Length > 0;
    }

    public static ScriptOptions Options(string path, ScriptHostOptions host)
    {
        string baseDir = Path.GetDirectoryName(path) ?? Environment.CurrentDirectory;
        return ScriptOptions.Default
            .WithFilePath(path)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Debug)
            .WithSourceResolver(new SourceFileResolver(ImmutableArray<string>.Empty, baseDir))
            .WithMetadataResolver(new CachingMetadataResolver(baseDir))
            .WithReferences(HostReferences.Value) // the defaults are in this list, created once (see HostReferences)
            .AddReferences(host.References.Select(a => a.Location).Concat(host.ReferencePaths).Distinct(StringComparer.Ordinal)
                .Select(p => ExtraReferences.GetOrAdd(p, path => MetadataReference.CreateFromFile(path))))
            .AddImports(host.Imports.Where(i => !i.StartsWith("static ", StringComparison.Ordinal)))
            .AddImports(host.Imports.Where(i => i.StartsWith("static ", StringComparison.Ordinal)).Select(i => i["static ".Length..].Trim()));
    }

    /// <summary>Compiles <paramref name="code"/> as a script file at <paramref name="path"/>, or as the next submission after <paramref name="previous"/>.</summary>
    /// <exception cref="ScriptCompilationException">CS or ARK errors.</exception>
    public static async Task<Output> CompileAsync(string code, string path, ScriptHostOptions host, Script<object>? previous, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool trace = Environment.GetEnvironmentVariable("ARRAKIS_TRACE_COMPILE") == "1";
        void Mark(string what) { if (trace) Console.Error.WriteLine($"compile: {what} at {clock.ElapsedMilliseconds} ms"); }
        ScriptOptions options = Options(path, host);
        Mark("options");
        Script<object> Create(string text) => previous is null
            ? CSharpScript.Create<object>(text, options, typeof(ScriptGlobals))
            : previous.ContinueWith<object>(text, options);

        Script<object> script = Create(code);
        Compilation compilation = script.GetCompilation();
        Mark("compilation");
        // [UseTools] callable forms: the generator's own parser and emitter, appended after the script's last line.
        string? generated = ScriptExperiments.GenerateCallableForms(compilation, Path.GetDirectoryName(path), ct);
        if (generated is not null)
        {
            script = Create(code + "\n" + generated);
            compilation = script.GetCompilation();
        }

        Mark("generated");

        // Emit binds everything once and reports the CS errors; the analyzer runs only over scripts that use the
        // experiment attributes (it reports nothing elsewhere), so a plain script pays for one pass.
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        EmitResult result = compilation.Emit(pe, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb), cancellationToken: ct);
        Mark("emit");
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (UsesExperimentAttributes(compilation))
        {
            errors.AddRange(await ScriptExperiments.AnalyzeAsync(compilation, ct).ConfigureAwait(false));
            Mark("analyzer");
        }
        if (errors.Count > 0) throw new ScriptCompilationException(Describe(errors));
        var directiveReferences = compilation.DirectiveReferences.OfType<PortableExecutableReference>()
            .Select(r => r.FilePath).OfType<string>().ToList();
        if (pe.Length == 0) return new Output([], [], "", "", directiveReferences, script); // no executable code: nothing emitted
        IMethodSymbol entry = compilation.GetEntryPoint(ct) ?? throw new InvalidOperationException("The script compilation has no entry point.");
        return new Output(pe.ToArray(), pdb.ToArray(), entry.ContainingType.MetadataName, entry.MetadataName, directiveReferences, script);
    }

    private static bool UsesExperimentAttributes(Compilation compilation) =>
        compilation.SyntaxTrees.Any(t =>
        {
            string text = t.GetText().ToString();
            return text.Contains("UseTools", StringComparison.Ordinal) || text.Contains("LogExperiment", StringComparison.Ordinal)
                || text.Contains("TestHypothesis", StringComparison.Ordinal) || text.Contains("ProfileModel", StringComparison.Ordinal);
        });

    /// <summary>Whether <paramref name="code"/> is a complete submission (for multi-line REPL input).</summary>
    public static bool IsComplete(string code) =>
        SyntaxFactory.IsCompleteSubmission(SyntaxFactory.ParseSyntaxTree(code, new CSharpParseOptions(kind: SourceCodeKind.Script)));

    private static List<ScriptDiagnostic> Describe(IEnumerable<Diagnostic> diagnostics) => diagnostics
        .Select(d =>
        {
            FileLinePositionSpan span = d.Location.GetMappedLineSpan();
            string file = string.IsNullOrEmpty(span.Path) ? "script" : ScriptPaths.Display(span.Path);
            return (Order: (span.Path, span.StartLinePosition.Line, span.StartLinePosition.Character),
                Diagnostic: new ScriptDiagnostic(file, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1,
                    d.Severity == DiagnosticSeverity.Error ? "error" : "warning", d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        })
        .OrderBy(x => x.Order.Path, StringComparer.Ordinal).ThenBy(x => x.Order.Line).ThenBy(x => x.Order.Character)
        .Select(x => x.Diagnostic)
        .Distinct()
        .ToList();
}
