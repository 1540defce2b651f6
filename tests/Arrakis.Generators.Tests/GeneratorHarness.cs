using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Arrakis.Bench;
using Arrakis.Generators.Diagnostics;
using Arrakis.Generators.UseTools;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Arrakis.Generators.Tests;

/// <summary>Builds compilations over .NET 10 reference assemblies plus Arrakis.Abstractions and Arrakis.Bench, and runs the generator and analyzer on them.</summary>
internal static partial class GeneratorHarness
{
    /// <summary>The project directory the generator is told about (build_property.ProjectDir).</summary>
    public const string ProjectDir = "/home/someone/lab/Experiments/";

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    internal static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(ToolAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(InterpretabilityBench).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(HookedTransformer).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location),
    ];

    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create(
            "Lab",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, ProjectDir + s.Path)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // ARK000 (the generator is not running) is what the generator assembly's suppressor silences in a build;
                // these compilations run the generator by hand (GeneratorNotRunningTests checks the suppressor itself).
                .WithSpecificDiagnosticOptions([new KeyValuePair<string, ReportDiagnostic>("ARK000", ReportDiagnostic.Suppress)]));

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        [new UseToolsGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        optionsProvider: new OptionsProvider(new Dictionary<string, string> { ["build_property.ProjectDir"] = ProjectDir }),
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the driver (for incremental runs), the output compilation and the generated files.</summary>
    public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<GeneratedSourceResult> Files) Generate(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Assert.Empty(generatorDiagnostics); // the generator itself stays silent: diagnostics come from the analyzer
        return (driver, output, driver.GetRunResult().Results.Single().GeneratedSources);
    }

    /// <summary>The analyzer's diagnostics on the compilation after generation (as a build sees them).</summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilationWithGeneratedCode) =>
        await compilationWithGeneratedCode
            .WithAnalyzers([new UseToolsAnalyzer()])
            .GetAnalyzerDiagnosticsAsync();

    /// <summary>
    /// Strips <c>{|ARK001:text|}</c> markup from <paramref name="markup"/>, returning the plain source and the expected
    /// diagnostics (ID and span of <c>text</c> in the plain source).
    /// </summary>
    public static (string Source, List<(string Id, TextSpan Span)> Expected) ParseMarkup(string markup)
    {
        var expected = new List<(string, TextSpan)>();
        var plain = new System.Text.StringBuilder();
        int last = 0;
        foreach (Match m in Markup().Matches(markup))
        {
            plain.Append(markup, last, m.Index - last);
            expected.Add((m.Groups["id"].Value, new TextSpan(plain.Length, m.Groups["text"].Length)));
            plain.Append(m.Groups["text"].Value);
            last = m.Index + m.Length;
        }
        plain.Append(markup, last, markup.Length - last);
        return (plain.ToString(), expected);
    }

    [GeneratedRegex(@"\{\|(?<id>ARK\d{3}):(?<text>.*?)\|\}", RegexOptions.Singleline)]
    private static partial Regex Markup();

    /// <summary>The checked-in expected file for <paramref name="name"/> (set ARRAKIS_UPDATE_EXPECTED=1 to rewrite it).</summary>
    public static void AssertMatchesExpected(string name, string actual, [CallerFilePath] string here = "")
    {
        string path = Path.Combine(Path.GetDirectoryName(here)!, "Expected", name);
        if (Environment.GetEnvironmentVariable("ARRAKIS_UPDATE_EXPECTED") == "1")
        {
            File.WriteAllText(path, actual);
        }
        Assert.True(File.Exists(path), $"No expected file {path}; run the tests once with ARRAKIS_UPDATE_EXPECTED=1 and review it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }

    private sealed class OptionsProvider(Dictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(values);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options([]);

        private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
                values.TryGetValue(key, out value);
        }
    }
}
