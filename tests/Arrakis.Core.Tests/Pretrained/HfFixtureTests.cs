using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>
/// Each family against a hand-written checkpoint in its real Hugging Face layout (not written by Arrakis), whose
/// logits come from a forward pass written the Hugging Face way (<see cref="HfReference"/>).
/// </summary>
public class HfFixtureTests
{
    public static IEnumerable<object[]> ModelTypes => HfFixtures.ModelTypes.Select(m => new object[] { m });

    private static Tensor Tokens() => randint(0, HfFixture.Vocab, [2, 10], generator: new Generator(3));

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void Unprocessed_GivesTheHuggingFaceLogits(string modelType)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var fixture = HfFixtures.Create(modelType);
        fixture.Write(dir.Path);
        var tokens = Tokens();
        var expected = fixture.Reference(tokens);

        using var model = HookedTransformer.FromPretrained(dir.Path,
            new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None, Dtype = ScalarType.Float64 });
        using var noGrad = no_grad();
        double error = (model.Forward(tokens) - expected).abs().max().item<double>();
        Assert.True(error <= 1e-9, $"{modelType}: max |Δ logits| = {error}");
        Assert.Equal(modelType, model.Cfg.OriginalArchitecture);
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void DefaultProcessing_PreservesLogSoftmax(string modelType)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var fixture = HfFixtures.Create(modelType);
        fixture.Write(dir.Path);
        var tokens = Tokens();
        var expected = fixture.Reference(tokens).log_softmax(-1);

        using var model = HookedTransformer.FromPretrained(dir.Path);
        Assert.Equal(ScalarType.Float32, model.Cfg.Dtype);
        using var noGrad = no_grad();
        double error = (model.Forward(tokens).to(float64).log_softmax(-1) - expected).abs().max().item<double>();
        Assert.True(error <= 1e-4, $"{modelType}: max |Δ log-softmax| = {error}");
    }

    public static IEnumerable<object[]> ProcessingSteps =>
        from modelType in new[] { "gpt2", "llama" }
        from step in new[] { "no fold_ln", "fold_ln only", "center_writing_weights only", "center_unembed only", "fold_value_biases only" }
        select new object[] { modelType, step };

    [Theory]
    [MemberData(nameof(ProcessingSteps))]
    public void EachProcessingFlag_PreservesLogSoftmax(string modelType, string step)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var fixture = HfFixtures.Create(modelType);
        fixture.Write(dir.Path);
        var tokens = Tokens();
        var expected = fixture.Reference(tokens).log_softmax(-1);
        var processing = step switch
        {
            "no fold_ln" => ProcessWeightsOptions.Default with { FoldLn = false },
            "fold_ln only" => ProcessWeightsOptions.None with { FoldLn = true },
            "center_writing_weights only" => ProcessWeightsOptions.None with { CenterWritingWeights = true },
            "center_unembed only" => ProcessWeightsOptions.None with { CenterUnembed = true },
            _ => ProcessWeightsOptions.None with { FoldValueBiases = true },
        };
        using var model = HookedTransformer.FromPretrained(dir.Path, new PretrainedOptions { ProcessWeights = processing, Dtype = ScalarType.Float64 });
        Assert.Equal(processing.FoldLn, model.Cfg.Normalization is NormalizationType.LayerNormPre or NormalizationType.RMSNormPre);
        using var noGrad = no_grad();
        double error = (model.Forward(tokens).log_softmax(-1) - expected).abs().max().item<double>();
        Assert.True(error <= 1e-9, $"{modelType}/{step}: max |Δ log-softmax| = {error}");
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void SavePretrained_WritesTheFixturesOwnTensors(string modelType)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var fixture = HfFixtures.Create(modelType);
        string source = Path.Combine(dir.Path, "source"), saved = Path.Combine(dir.Path, "saved");
        Directory.CreateDirectory(source);
        fixture.Write(source);
        using (var model = HookedTransformer.FromPretrained(source, new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None }))
            model.SavePretrained(saved);

        using var written = CheckpointFolder.Open(saved);
        var expectedNames = fixture.Tensors.Keys.Where(n => !fixture.NotWritten.Contains(n)).Select(fixture.SavedName).Order(StringComparer.Ordinal);
        Assert.Equal(expectedNames, written.TensorNames);
        foreach (var (name, original) in fixture.Tensors)
        {
            if (fixture.NotWritten.Contains(name))
                continue;
            var actual = written.Load(fixture.SavedName(name));
            Assert.Equal(original.shape, actual.shape);
            Assert.True(actual.eq(original.to(float32)).all().item<bool>(), $"{modelType}: '{name}' differs after load and save");
        }
        Assert.Equal(modelType, written.Config!.Value.GetProperty("model_type").GetString());
    }
}
