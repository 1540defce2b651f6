using Arrakis.Generators.UseTools;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Arrakis.Generators.Tests;

/// <summary>The pipeline's tracked steps prove what an edit re-runs.</summary>
public class IncrementalityTests
{
    [Fact]
    public void UnrelatedEdit_LeavesEmitCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Seeds.cs", Samples.Seeds));
        var (driver, _, _) = GeneratorHarness.Generate(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Lab; public class Unrelated { public int X => 1; }", GeneratorHarness.ParseOptions, GeneratorHarness.ProjectDir + "Unrelated.cs"));
        GeneratorRunResult run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // The transform re-runs against the new compilation but yields equal specs; everything after it is cached.
        Assert.All(Outputs(run, UseToolsGenerator.Steps.Parse), reason => Assert.Equal(IncrementalStepRunReason.Unchanged, reason));
        Assert.All(Outputs(run, UseToolsGenerator.Steps.Emit), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        Assert.NotEmpty(Outputs(run, UseToolsGenerator.Steps.Emit));
    }

    [Fact]
    public void EditElsewhereInTheSameFile_ReparsesButLeavesEmitCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Seeds.cs", Samples.Seeds));
        var (driver, _, _) = GeneratorHarness.Generate(compilation);

        SyntaxTree seeds = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("Seeds.cs"));
        string text = seeds.ToString();
        int end = text.LastIndexOf('}'); // the class's closing brace: add a member after every experiment
        SyntaxTree changed = seeds.WithChangedText(seeds.GetText().Replace(end, 0, "    public int Extra => 2;\n"));
        GeneratorRunResult run = driver.RunGenerators(compilation.ReplaceSyntaxTree(seeds, changed)).GetRunResult().Results.Single();

        Assert.Contains(IncrementalStepRunReason.Unchanged, Outputs(run, UseToolsGenerator.Steps.Parse));
        Assert.All(Outputs(run, UseToolsGenerator.Steps.Emit), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    [Fact]
    public void EditToAnExperiment_ReEmitsWithANewCodeVersion()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Seeds.cs", Samples.Seeds));
        var (driver, _, before) = GeneratorHarness.Generate(compilation);

        SyntaxTree seeds = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("Seeds.cs"));
        SyntaxTree changed = CSharpSyntaxTree.ParseText(
            seeds.ToString().Replace("var logitAttribution = logit.LogitAttribution(inputIds, targetIdx);", "var logitAttribution = logit.LogitAttribution(inputIds, 0);"),
            GeneratorHarness.ParseOptions, seeds.FilePath);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(seeds, changed));
        GeneratorRunResult run = driver.GetRunResult().Results.Single();

        Assert.Equal([IncrementalStepRunReason.Modified], Outputs(run, UseToolsGenerator.Steps.Emit));
        string versionBefore = CodeVersionTests.VersionOf(before.Single().SourceText.ToString(), "MIExperiment.TestLogitAttributor");
        Assert.Matches("^[0-9a-f]{12}$", versionBefore);
        Assert.NotEqual(versionBefore, CodeVersionTests.VersionOf(run.GeneratedSources.Single().SourceText.ToString(), "MIExperiment.TestLogitAttributor"));
    }

    private static IncrementalStepRunReason[] Outputs(GeneratorRunResult run, string step) =>
        run.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
}
