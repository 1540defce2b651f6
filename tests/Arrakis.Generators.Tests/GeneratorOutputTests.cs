using Microsoft.CodeAnalysis;

namespace Arrakis.Generators.Tests;

public class GeneratorOutputTests
{
    [Fact]
    public void SeedTwins_GenerateTheCheckedInCallableForms()
    {
        var (_, output, files) = GeneratorHarness.Generate(GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Seeds.cs", Samples.Seeds)));

        GeneratedSourceResult file = Assert.Single(files);
        Assert.Equal("Lab.MIExperiment.UseTools.g.cs", file.HintName);
        GeneratorHarness.AssertMatchesExpected(file.HintName, file.SourceText.ToString());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void EveryReturnShape_GeneratesCompilingCode()
    {
        var (_, output, files) = GeneratorHarness.Generate(GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Sweeps/Shapes.cs", Samples.Shapes)));

        GeneratedSourceResult file = Assert.Single(files);
        Assert.Equal("Lab.Shapes.Outer.Sweep_T_.UseTools.g.cs", file.HintName);
        GeneratorHarness.AssertMatchesExpected(file.HintName, file.SourceText.ToString());
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }
}
