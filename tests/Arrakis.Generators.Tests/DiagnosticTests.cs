using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Arrakis.Generators.Tests;

/// <summary>Each analyzer diagnostic, with its exact span (marked <c>{|ARKnnn:text|}</c> in the source).</summary>
public class DiagnosticTests
{
    private const string Header = """
        using System.Collections.Generic;
        using Arrakis;
        using Arrakis.Bench;
        using Lab.Tools;

        namespace Lab;

        """;

    [Fact]
    public async Task SeedTwins_HaveNoDiagnostics()
    {
        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(Samples.Seeds);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public async Task UnknownTool_NamesTheClosestKnownTool()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools({|ARK001:"decomposr"|})]
                public double[] Run(int[] ids, IResidualDecomposer decomposer) => decomposer.DecomposeResidual(ids, 0);
            }
            """);
        Assert.Equal("No tool named 'decomposr' is visible to this compilation; did you mean 'decomposer'? Use the name of a [Tool] contract (known tools: composer, decomposer, logit).", d.GetMessage());
    }

    [Fact]
    public async Task ToolWithoutParameter_IsReportedOnTheName()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer", {|ARK002:"logit"|})]
                public double Run(IResidualDecomposer decomposer) => 0;
            }
            """);
        Assert.Contains("add a parameter of type 'ILogitAttributor' at the end of 'Run'", d.GetMessage());
    }

    [Fact]
    public async Task ForgottenToolParameter_IsNoReceivingParameter()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools({|ARK002:"decomposer"|})]
                public double Run(int[] ids, int layer) => 0;
            }
            """);
    }

    [Fact]
    public async Task ToolParameterOfTheWrongType_IsReportedOnTheType()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer")]
                public double Run(int[] ids, {|ARK003:ILogitAttributor|} decomposer) => 0;
            }
            """);
        Assert.Equal("Parameter 'decomposer' receives tool 'decomposer' and must be of type 'IResidualDecomposer', not 'ILogitAttributor' (tools go to the last parameters, in [UseTools] order)", d.GetMessage());
    }

    [Fact]
    public async Task SameToolTwice_IsReportedOnTheSecondMention()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer", {|ARK004:"decomposer"|})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task TypeNotPartial_IsReportedOnItsName()
    {
        await AssertDiagnosticsAsync("""
            public class {|ARK005:Exp|}(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer")]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task OuterTypeNotPartial_IsReportedOnItsName()
    {
        await AssertDiagnosticsAsync("""
            public static class {|ARK005:Outer|}
            {
                public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
                {
                    [UseTools("decomposer")]
                    public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
                }
            }
            """);
    }

    [Fact]
    public async Task TypeNotBench_IsReportedOnItsName()
    {
        await AssertDiagnosticsAsync("""
            public partial class {|ARK006:Exp|}
            {
                [UseTools("decomposer")]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task NullToolName_IsNotAConstantString()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools({|ARK007:(string)null!|})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task MissingHypothesisFunction_IsReportedOnItsName()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), TestHypothesis({|ARK008:"Nul"|}, nameof(Alt))]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;

                private double Alt(int[] ids) => 1;
            }
            """);
        Assert.Equal("'Exp' has no method named 'Nul'; add 'double Nul(int[] ids)' or name an existing method with nameof", d.GetMessage());
    }

    [Fact]
    public async Task HypothesisFunctionOfTheWrongSignature_IsReportedOnItsName()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), TestHypothesis(nameof(Null), {|ARK009:nameof(Alt)|})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;

                private double Null(int[] ids, IResidualDecomposer decomposer) => 0;

                private int Alt(int[] ids) => 1;
            }
            """);
        Assert.Equal("Hypothesis function 'Alt' must return double and take the experiment's parameters (int[] ids), optionally followed by its tools (IResidualDecomposer decomposer)", d.GetMessage());
    }

    [Fact]
    public async Task GeneratedMemberCollision_IsReportedOnTheMethodName()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                public double Run(int[] ids) => 1;

                [UseTools("decomposer")]
                public double {|ARK010:Run|}(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task LogExperimentWithoutUseTools_IsReportedOnTheAttribute()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [{|ARK011:LogExperiment|}]
                public double Run(int[] ids) => 0;
            }
            """);
    }

    [Fact]
    public async Task ProfileModelWithoutUseTools_IsReportedOnTheAttribute()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [{|ARK011:ProfileModel(Granularity.Component)|}]
                public double Run(int[] ids) => 0;
            }
            """);
    }

    [Fact]
    public async Task StaticExperiment_IsUnsupported()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer")]
                public static double {|ARK012:Run|}(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task MissingLaterToolParameter_BlamesTheLaterTool()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer", {|ARK002:"logit"|})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
        Assert.Contains("add a parameter of type 'ILogitAttributor' at the end of 'Run'", d.GetMessage());
    }

    [Fact]
    public async Task MissingMiddleToolParameter_BlamesThatToolOnly()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer", {|ARK002:"logit"|}, "composer")]
                public double Run(int[] ids, IResidualDecomposer decomposer, IAttentionComposer composer) => 0;
            }
            """);
    }

    [Fact]
    public async Task EmptyToolName_StatesTheNamingRule()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools({|ARK013:""|})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
        Assert.Equal("'' is not a valid tool name: tool names are case-sensitive and match [a-z][a-z0-9_-]* (a lower-case letter, then lower-case letters, digits, '_' or '-')", d.GetMessage());
    }

    [Fact]
    public async Task UpperCaseToolName_StatesTheNamingRule()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools({|ARK013:"Decomposer"|})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task AsyncVoidRecordedExperiment_IsReportedOnAsync()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), LogExperiment]
                public {|ARK012:async|} void Run(int[] ids, IResidualDecomposer decomposer) => await System.Threading.Tasks.Task.Yield();
            }
            """);
        Assert.Contains("is 'async void'", d.GetMessage());
    }

    [Fact]
    public async Task RefStructParameterOfARecordedExperiment_IsReportedOnItsType()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), LogExperiment]
                public double Run({|ARK012:System.ReadOnlySpan<int>|} ids, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task RefStructReturnOfARecordedExperiment_IsReportedOnTheReturnType()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), LogExperiment]
                public {|ARK012:System.Span<double>|} Run(int[] ids, IResidualDecomposer decomposer) => default;
            }
            """);
    }

    [Fact]
    public async Task RefStructParameterWithoutRecording_IsForwarded()
    {
        Assert.Empty(await AnalyzeAsync(Header + """
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer")]
                public double Run(System.ReadOnlySpan<int> ids, IResidualDecomposer decomposer) => ids.Length;
            }
            """));
    }

    [Fact]
    public async Task ParamsToolParameter_IsReportedOnItsType()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer")]
                public double Run(int[] ids, params {|ARK003:IResidualDecomposer[]|} decomposer) => 0;
            }
            """);
    }

    [Theory]
    [InlineData("Samples = {|ARK014:1|}", "[TestHypothesis] Samples = 1 is out of range: it must be at least 2 (Welch's t-test needs a variance on each side)")]
    [InlineData("Alpha = {|ARK014:0.0|}", "[TestHypothesis] Alpha = 0 is out of range: it must be strictly between 0 and 1")]
    [InlineData("Alpha = {|ARK014:1.5|}", "[TestHypothesis] Alpha = 1.5 is out of range: it must be strictly between 0 and 1")]
    public async Task HypothesisSettingOutOfRange_IsReportedOnTheValue(string setting, string message)
    {
        Diagnostic d = await AssertDiagnosticsAsync($$"""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), TestHypothesis(nameof(Null), nameof(Alt), {{setting}})]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;

                private double Null(int[] ids) => 0;

                private double Alt(int[] ids) => 1;
            }
            """);
        Assert.Equal(message, d.GetMessage());
    }

    [Fact]
    public async Task UseToolsOnALocalFunction_IsReportedOnTheAttribute()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                public double Outer(int[] ids)
                {
                    [{|ARK015:UseTools("decomposer")|}]
                    double Run(int[] x, IResidualDecomposer decomposer) => 0;
                    return 0;
                }
            }
            """);
        Assert.Equal("[UseTools] is on the local function 'Run', which the generator never reads; make it a method of a partial class deriving from InterpretabilityBench", d.GetMessage());
    }

    [Fact]
    public async Task LogExperimentOnALambda_IsReportedOnTheAttribute()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                public System.Func<int, int> Square = [{|ARK015:LogExperiment|}] (int x) => x * x;
            }
            """);
    }

    [Fact]
    public void EveryDiagnostic_LinksToItsRowOfTheDiagnosticsTable()
    {
        string docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "experiments.md"));
        foreach (DiagnosticDescriptor descriptor in new Arrakis.Generators.Diagnostics.UseToolsAnalyzer().SupportedDiagnostics)
        {
            Assert.Equal($"docs/experiments.md#{descriptor.Id.ToLowerInvariant()}", descriptor.HelpLinkUri);
            Assert.Contains($"<a id=\"{descriptor.Id.ToLowerInvariant()}\"></a>{descriptor.Id}", docs);
        }
    }

    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>Asserts the analyzer reports exactly the marked diagnostics (ID and span); returns the first.</summary>
    [Fact]
    public async Task OverloadsOfOneRecordedExperiment_AreReportedAsSharingAStoreName()
    {
        Diagnostic d = await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), LogExperiment]
                public double Run(int[] ids, IResidualDecomposer decomposer) => 0;

                [UseTools("decomposer"), LogExperiment]
                public double {|ARK017:Run|}(string text, IResidualDecomposer decomposer) => 0;
            }
            """);
        Assert.Equal("Experiments 'Lab.Exp.Run(string, IResidualDecomposer)' and 'Lab.Exp.Run(int[], IResidualDecomposer)' would both record their runs as experiment 'Exp.Run' and mix them in one store folder; give one of them [LogExperiment(Name = \"...\")]", d.GetMessage());
    }

    [Fact]
    public async Task OneExplicitNameGivenTwice_IsReported_AndDistinctNamesAreNot()
    {
        await AssertDiagnosticsAsync("""
            public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
            {
                [UseTools("decomposer"), LogExperiment(Name = "heads")]
                public double First(int[] ids, IResidualDecomposer decomposer) => 0;

                [UseTools("decomposer"), LogExperiment(Name = "heads")]
                public double {|ARK017:Second|}(int[] ids, IResidualDecomposer decomposer) => 0;

                [UseTools("decomposer"), LogExperiment(Name = "Exp.Third.v2")]
                public double Third(int[] ids, IResidualDecomposer decomposer) => 0;

                [UseTools("decomposer")]
                public double Unrecorded(int[] ids, IResidualDecomposer decomposer) => 0;

                [UseTools("decomposer")]
                public double Unrecorded(string text, IResidualDecomposer decomposer) => 0;
            }
            """);
    }

    [Fact]
    public async Task SameClassNameInTwoNamespaces_IsReportedInTheLaterFile()
    {
        const string experiment = """
            using Arrakis;
            using Arrakis.Bench;
            using Lab.Tools;

            namespace Lab.{0};

            public partial class Suite(HookedTransformer m) : InterpretabilityBench(m)
            {{
                [UseTools("decomposer"), LogExperiment]
                public double Heads(int[] ids, IResidualDecomposer decomposer) => 0;
            }}
            """;
        var (_, output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(("Tools.cs", Samples.Tools),
            ("A/Suite.cs", string.Format(experiment, "First")), ("B/Suite.cs", string.Format(experiment, "Second"))));

        Diagnostic d = Assert.Single(await GeneratorHarness.AnalyzeAsync(output));

        Assert.Equal(("ARK017", "B/Suite.cs", DiagnosticSeverity.Error), (d.Id, Path.GetRelativePath("/home/someone/lab/Experiments", d.Location.SourceTree!.FilePath), d.Severity));
        Assert.Contains("'Lab.Second.Suite.Heads(int[], IResidualDecomposer)' and 'Lab.First.Suite.Heads(int[], IResidualDecomposer)' would both record their runs as experiment 'Suite.Heads'", d.GetMessage());
        Assert.Equal("docs/experiments.md#ark017", d.Descriptor.HelpLinkUri);
    }

    private static async Task<Diagnostic> AssertDiagnosticsAsync(string markup)
    {
        var (source, expected) = GeneratorHarness.ParseMarkup(Header + markup);
        ImmutableArray<Diagnostic> actual = await AnalyzeAsync(source);
        Assert.All(actual, d => Assert.EndsWith("Experiment.cs", d.Location.SourceTree!.FilePath));
        Assert.Equal(
            expected.Select(e => $"{e.Id} {e.Span} '{source.Substring(e.Span.Start, e.Span.Length)}'").Order(),
            actual.Select(d => $"{d.Id} {d.Location.SourceSpan} '{source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}'").Order());
        return actual.OrderBy(d => d.Location.SourceSpan.Start).First();
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source)
    {
        var (_, output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Experiment.cs", source)));
        return await GeneratorHarness.AnalyzeAsync(output);
    }
}
