using System.Collections.Immutable;
using Arrakis.Generators.Diagnostics.Suppressors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Arrakis.Generators.Tests;

/// <summary>
/// ARK000: where the [UseTools] generator does not run, the user is told so at each experiment, with the fix; where it
/// runs (its assembly's suppressor runs with it), nothing is said.
/// </summary>
public class GeneratorNotRunningTests
{
    private const string Source = """
        using Arrakis;
        using Arrakis.Bench;
        using Lab.Tools;

        namespace Lab;

        public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
        {
            [UseTools("decomposer")]
            public double Run(int[] ids, IResidualDecomposer decomposer) => 0;

            public double Call() => Run(new[] { 1 });
        }
        """;

    private static CSharpCompilation Compile() => CSharpCompilation.Create(
        "Lab",
        [
            CSharpSyntaxTree.ParseText(Samples.Tools, GeneratorHarness.ParseOptions, "/lab/Tools.cs"),
            CSharpSyntaxTree.ParseText(Source, GeneratorHarness.ParseOptions, "/lab/Experiment.cs"),
        ],
        GeneratorHarness.References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    [Fact]
    public void WithoutTheGenerator_Ark000NamesTheFix_AtTheAttribute()
    {
        ImmutableArray<Diagnostic> diagnostics = Compile().GetDiagnostics();

        Diagnostic ark000 = Assert.Single(diagnostics, d => d.Id == "ARK000");
        Assert.Equal(DiagnosticSeverity.Warning, ark000.Severity);
        Assert.Equal("UseTools(\"decomposer\")", Source.Substring(ark000.Location.SourceSpan.Start, ark000.Location.SourceSpan.Length));
        Assert.Contains("the Arrakis [UseTools] generator is not running in this project", ark000.GetMessage());
        Assert.Contains("Reference the Arrakis.Bench package", ark000.GetMessage());
        Assert.Equal("docs/experiments.md#ark000", ark000.Descriptor.HelpLinkUri);
        Assert.Contains(diagnostics, d => d.Id == "CS7036"); // the call that the missing callable form leaves unresolved
    }

    [Fact]
    public async Task WhereTheGeneratorRuns_ItsSuppressorSilencesArk000_AndTheCallCompiles()
    {
        var (_, output, _) = GeneratorHarness.Generate(Compile());
        ImmutableArray<Diagnostic> all = await output
            .WithAnalyzers([new GeneratorRunningSuppressor()], new CompilationWithAnalyzersOptions(
                new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false,
                logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: true))
            .GetAllDiagnosticsAsync();

        Assert.True(Assert.Single(all, d => d.Id == "ARK000").IsSuppressed);
        Assert.DoesNotContain(all, d => d.Severity == DiagnosticSeverity.Error);
    }
}
