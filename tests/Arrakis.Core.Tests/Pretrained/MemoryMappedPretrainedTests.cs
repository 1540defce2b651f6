using System.Security.Cryptography;
using Arrakis.Checkpoints;
using Arrakis.Tests.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Pretrained;

/// <summary>
/// <see cref="PretrainedOptions.MemoryMap"/>: the model's directly stored parameters are the file's pages; it computes
/// exactly what a copied load computes, weight processing and training edit it without writing to the file, and the
/// mapping goes with the model.
/// </summary>
public class MemoryMappedPretrainedTests
{
    public static IEnumerable<object[]> Families => FamilyModels.Families.Select(f => new object[] { f });

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Theory]
    [MemberData(nameof(Families))]
    public void MappedModel_ComputesExactlyWhatACopiedModelComputes_WithAndWithoutProcessing(string family)
    {
        using var dir = new TempDirectory();
        using (var source = FamilyModels.Create(family))
            source.SavePretrained(dir.Path);
        string weights = Path.Combine(dir.Path, CheckpointFolder.SingleFileName);
        string before = Hash(weights);
        var tokens = FamilyModels.Tokens();

        foreach (var processing in new[] { ProcessWeightsOptions.None, ProcessWeightsOptions.Default })
        {
            using (var scope = NewDisposeScope())
            {
                using var copied = HookedTransformer.FromPretrained(dir.Path, new PretrainedOptions { ProcessWeights = processing });
                using var mapped = HookedTransformer.FromPretrained(dir.Path, new PretrainedOptions { ProcessWeights = processing, MemoryMap = true });
                Assert.True(SafetensorsMemoryMapTests.MappedRegions(weights) >= 1, $"{family}: no parameter is backed by the file");
                using var noGrad = no_grad();
                Assert.True(mapped.Forward(tokens).eq(copied.Forward(tokens)).all().item<bool>(), $"{family}, processed: {processing != ProcessWeightsOptions.None}");
                var expected = copied.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                foreach (var (name, p) in mapped.named_parameters())
                    Assert.True(p.eq(expected[name]).all().item<bool>(), $"{family}: '{name}' differs");
            }
            Assert.Equal(0, SafetensorsMemoryMapTests.MappedRegions(weights));
            Assert.Equal(before, Hash(weights));
        }
    }

    [Fact]
    public void TrainingAMappedModel_UpdatesItsParameters_AndNeverTheFile()
    {
        using var dir = new TempDirectory();
        using (var source = FamilyModels.Create("gpt2"))
            source.SavePretrained(dir.Path);
        string weights = Path.Combine(dir.Path, CheckpointFolder.SingleFileName);
        string before = Hash(weights);
        var raw = new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None };
        var tokens = FamilyModels.Tokens();

        using var scope = NewDisposeScope();
        using var copied = HookedTransformer.FromPretrained(dir.Path, raw);
        using var mapped = HookedTransformer.FromPretrained(dir.Path, raw with { MemoryMap = true });
        var original = mapped.embed.W_E.clone();
        foreach (var model in new[] { copied, mapped })
        {
            using var optimizer = optim.SGD(model.parameters(), 0.5);
            optimizer.zero_grad();
            model.Forward(tokens).pow(2).mean().backward();
            optimizer.step();
        }

        Assert.False(mapped.embed.W_E.eq(original).all().item<bool>(), "the step did not change W_E");
        foreach (var ((name, p), (_, q)) in mapped.named_parameters().Zip(copied.named_parameters()))
            Assert.True(p.eq(q).all().item<bool>(), $"'{name}' took a different step when mapped");
        Assert.Equal(before, Hash(weights));
        using var reloaded = HookedTransformer.FromPretrained(dir.Path, raw with { MemoryMap = true });
        Assert.True(reloaded.embed.W_E.eq(original).all().item<bool>(), "a fresh mapping sees the trained weights");
    }
}
