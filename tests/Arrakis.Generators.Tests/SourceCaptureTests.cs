using Arrakis.Generators.UseTools;

namespace Arrakis.Generators.Tests;

public class SourceCaptureTests
{
    [Theory]
    [InlineData("/home/someone/lab/Experiments/Seeds.cs", "/home/someone/lab/Experiments/", "Seeds.cs")]
    [InlineData("/home/someone/lab/Experiments/Sub/Seeds.cs", "/home/someone/lab/Experiments", "Sub/Seeds.cs")]
    [InlineData(@"C:\lab\Experiments\Sub\Seeds.cs", @"C:\lab\Experiments\", "Sub/Seeds.cs")]
    [InlineData("/elsewhere/Linked.cs", "/home/someone/lab/Experiments/", "Linked.cs")]
    [InlineData("/elsewhere/Linked.cs", null, "Linked.cs")]
    public void Paths_AreRelativeToTheProject_AndNeverAbsolute(string path, string? projectDir, string expected) =>
        Assert.Equal(expected, UseToolsGenerator.Parser.RelativePath(path, projectDir));

    [Fact]
    public void CodeVersion_IsTheHashOfTheCapturedSource()
    {
        const string captured = """
            /// <summary>Seed 002: direct moves and logit attribution of one target.</summary>
            [UseTools("logit"), LogExperiment]
            public Dictionary<string, double[]> TestLogitAttributor(int[] inputIds, int targetIdx, int nLayers, ILogitAttributor logit)
            {
                var directMoves = logit.TrackTokenCirculation(inputIds, targetIdx, nLayers);
                var logitAttribution = logit.LogitAttribution(inputIds, targetIdx);
                return new() { ["direct_moves"] = directMoves, ["logit_attribution"] = logitAttribution };
            }
            """;
        // The same text the expected file holds (doc comment included, dedented, \n line ends), and its hash.
        Assert.Equal("d515cc138a33", UseToolsGenerator.Parser.Hash(captured.ReplaceLineEndings("\n")));
    }
}
