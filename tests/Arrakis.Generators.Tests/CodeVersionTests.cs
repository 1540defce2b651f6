using System.Text.RegularExpressions;

namespace Arrakis.Generators.Tests;

/// <summary>
/// The code version recorded with every run: a hash of the method's normalised syntax (tokens only) and of the
/// hypothesis sample functions it names; and the experiment's name: <c>{Type}.{Method}</c> or <c>[LogExperiment(Name)]</c>.
/// </summary>
public class CodeVersionTests
{
    private const string Experiment = """
        using Arrakis;
        using Arrakis.Bench;
        using Lab.Tools;

        namespace Lab;

        public partial class Exp(HookedTransformer m) : InterpretabilityBench(m)
        {
            /// <summary>The first component.</summary>
            [UseTools("decomposer"), LogExperiment, TestHypothesis(nameof(Null), nameof(Alt), Samples = 10)]
            public double Run(int[] ids, IResidualDecomposer decomposer)
            {
                var parts = decomposer.DecomposeResidual(ids, 0);
                return parts[0];
            }

            private double Null(int[] ids) => 0;

            private double Alt(int[] ids) => ids.Length;
        }
        """;

    [Theory]
    [InlineData("var parts = decomposer.DecomposeResidual(ids, 0);", "var parts   =   decomposer.DecomposeResidual( ids,0 ); // the components")]
    [InlineData("return parts[0];", "\n\n        /* first */ return parts[0];\n")]
    [InlineData("/// <summary>The first component.</summary>", "// a different comment\n    /// <summary>Another doc comment.</summary>")]
    [InlineData("    public double Run(", "\tpublic  double  Run(")]
    public void WhitespaceAndCommentEdits_KeepTheCodeVersion(string from, string to) =>
        Assert.Equal(VersionOf(Generate(Experiment), "Exp.Run"), VersionOf(Generate(Edit(from, to)), "Exp.Run"));

    [Theory]
    [InlineData("return parts[0];", "return parts[1];")]
    [InlineData("private double Alt(int[] ids) => ids.Length;", "private double Alt(int[] ids) => ids.Length + 1;")]
    [InlineData("private double Null(int[] ids) => 0;", "private double Null(int[] ids) => -1;")]
    [InlineData("Samples = 10", "Samples = 20")]
    public void CodeAndSampleFunctionEdits_ChangeTheCodeVersion(string from, string to) =>
        Assert.NotEqual(VersionOf(Generate(Experiment), "Exp.Run"), VersionOf(Generate(Edit(from, to)), "Exp.Run"));

    [Fact]
    public void SameMethodNameInTwoClasses_GivesTwoExperiments_AndNameOverridesTheDefault()
    {
        string second = Experiment.Replace("public partial class Exp(", "public partial class Other(")
            .Replace("LogExperiment,", "LogExperiment(Name = \"induction-lead\"),");
        string text = Generate(Experiment) + Generate(second);
        Assert.Contains("name: \"Exp.Run\",", text);
        Assert.Contains("name: \"induction-lead\",", text);
    }

    private static string Edit(string from, string to)
    {
        Assert.Contains(from, Experiment);
        return Experiment.Replace(from, to);
    }

    private static string Generate(string experiment)
    {
        var (_, _, files) = GeneratorHarness.Generate(GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Experiment.cs", experiment)));
        return files.Single().SourceText.ToString();
    }

    /// <summary>The code version the generated <c>ExperimentInfo</c> of <paramref name="name"/> carries.</summary>
    internal static string VersionOf(string generated, string name)
    {
        Match m = Regex.Match(generated, $"name: \"{Regex.Escape(name)}\",\\s*codeVersion: \"(?<v>[0-9a-f]+)\"");
        Assert.True(m.Success, $"no ExperimentInfo named {name} in:\n{generated}");
        return m.Groups["v"].Value;
    }
}
