using System.Text.Json;
using Arrakis.Tests.Analysis;
using Arrakis.Tests.Model;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>Results print as aligned tables and serialise with plain System.Text.Json.</summary>
[Collection(ToolsCollection.Name)]
public sealed class ResultFormatTests(BuiltInTools tools)
{
    [Fact]
    public void EveryResult_PrintsATable_AndSerialisesToJson()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("llama");
        using var induction = InductionGroundTruth.Create();
        var ids = TestModels.Tokens(1, 6);
        var decomposer = tools.Decomposer(model);
        var logit = tools.Logit(model);
        var composer = tools.Composer(induction);
        var repeated = InductionGroundTruth.RepeatedSequences(2);

        object[] results =
        [
            decomposer.MlpBasis(0),
            decomposer.DecomposeResidual(ids, 1, topK: 4),
            decomposer.DecomposeResidual(ids, 1, direction: model.W_U[.., 3]),
            logit.LogitAttribution(ids, 3, gradientTimesEmbedding: true),
            logit.TrackTokenCirculation(ids, 3, nLayers: 2),
            composer.HeadComposition((0, 0), (1, 0)),
            composer.AttentionPathPatching(repeated, (0, 0), (1, 0)),
            composer.AttentionPathPatching(repeated, []),
            composer.AllCompositionScores(CompositionKind.K),
        ];

        foreach (var result in results)
        {
            string text = result.ToString()!;
            var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length >= 3, $"{result.GetType().Name}:\n{text}");
            Assert.DoesNotContain(result.GetType().Name + " {", text);   // not the record's default member dump
            string json = JsonSerializer.Serialize(result, result.GetType());
            using var document = JsonDocument.Parse(json);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    [Fact]
    public void Tables_AlignTheirColumns()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var scores = tools.Composer(model).AllCompositionScores(CompositionKind.K);

        var lines = scores.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.StartsWith("K-composition scores of 4 writer → reader pairs, largest first", lines[0]);
        Assert.Matches(@"^  writer  reader\s+score\s+× random$", lines[1]);
        Assert.StartsWith("  L0H0    L1H0", lines[2]);
        // Right-aligned numbers: every row ends at the same column.
        Assert.Single(lines.Skip(1).Select(l => l.Length).Distinct());
    }

    [Fact]
    public void Json_HoldsNumbersAndLabels_AndTensorsAsShapeAndValues()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var ids = TestModels.Tokens(1, 4);

        var la = tools.Logit(model).LogitAttribution(ids, 3);
        using var la_json = JsonDocument.Parse(JsonSerializer.Serialize(la));
        var components = la_json.RootElement.GetProperty("Components");
        Assert.Equal(la.Components.Count, components.GetArrayLength());
        Assert.Equal("L0H0", components[0].GetProperty("Label").GetString());
        Assert.Equal(la.Components[0].Value, components[0].GetProperty("Value").GetDouble());
        Assert.Equal(la.Total, la_json.RootElement.GetProperty("Total").GetDouble());

        using var rd = tools.Decomposer(model).DecomposeResidual(ids, 1);
        using var rd_json = JsonDocument.Parse(JsonSerializer.Serialize(rd));
        var vectors = rd_json.RootElement.GetProperty("Vectors");
        Assert.Equal([rd.Components.Count, 32], vectors.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(rd.Components.Count * 32, vectors.GetProperty("values").GetArrayLength());

        var path = tools.Composer(model).AttentionPathPatching(ids, (0, 0), (1, 1), PathInput.Key | PathInput.Value);
        using var path_json = JsonDocument.Parse(JsonSerializer.Serialize(path));
        Assert.Equal("Key, Value", path_json.RootElement.GetProperty("Through").GetString());
    }
}
