using Arrakis.Tests.Analysis;
using Arrakis.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class DecomposerTests(BuiltInTools tools)
{
    public static TheoryData<string, bool, bool, bool> Cases()
    {
        var data = new TheoryData<string, bool, bool, bool>();
        foreach (var family in new[] { "gpt2", "llama", "neox", "attn-only" })
            foreach (bool after in new[] { false, true })
                foreach (bool perNeuron in new[] { false, true })
                    foreach (bool processed in new[] { false, true })
                        if (!(perNeuron && family == "attn-only"))
                            data.Add(family, after, perNeuron, processed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheComponents_SumToTheResidualStream(string family, bool afterLayer, bool perNeuron, bool processed)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        if (processed)
            model.ProcessWeights();
        var decomposer = tools.Decomposer(model);
        var tokens = TestModels.Tokens(2, 7);
        for (int layer = 0; layer < model.Cfg.NLayers; layer++)
        {
            using var rd = decomposer.DecomposeResidual(tokens, layer, afterLayer: afterLayer, perNeuron: perNeuron, position: 4, batchIndex: 1);
            var (_, cache) = model.RunWithCache(tokens);
            using (cache)
            {
                var x = cache[rd.HookName][1, 4];
                double relative = ((rd.Vectors.sum(0L) - x).norm() / x.norm()).item<float>();
                Assert.True(relative <= 1e-4, $"{family} layer {layer}: reconstruction error {relative}");
                Assert.True(rd.ReconstructionError <= 1e-4, $"reported {rd.ReconstructionError}");
                Assert.Equal(afterLayer ? $"blocks.{layer}.hook_resid_post" : $"blocks.{layer}.hook_resid_pre", rd.HookName);
            }
            Assert.Equal(rd.Components.Count, rd.Vectors.shape[0]);
            int layersCovered = afterLayer ? layer + 1 : layer;
            var labels = rd.Components.Select(c => c.Label).ToList();
            Assert.Equal(layersCovered * model.Cfg.NHeads, labels.Count(l => l.StartsWith('L') && l.Contains('H')));
            Assert.Equal(perNeuron ? layersCovered * model.Cfg.DMlp : 0, labels.Count(l => l.StartsWith('L') && l.Contains('N')));
            Assert.Equal(perNeuron || model.Cfg.AttnOnly ? 0 : layersCovered, labels.Count(l => l.EndsWith("_mlp_out")));
            Assert.Contains("embed", labels);
            Assert.Contains("bias", labels);
            Assert.Equal(family is "gpt2" or "attn-only", labels.Contains("pos_embed"));
        }
    }

    [Fact]
    public void Ranking_IsByNorm_OrByProjectionOnADirection()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var decomposer = tools.Decomposer(model);
        var tokens = TestModels.Tokens(1, 6);

        using var byNorm = decomposer.DecomposeResidual(tokens, 1, topK: 3);
        Assert.Equal("norm", byNorm.RankedBy);
        Assert.Equal(5, byNorm.Position);   // default: the last position
        Assert.Equal(3, byNorm.Top.Count);
        Assert.Equal(byNorm.Components.OrderByDescending(c => c.Norm).Take(3), byNorm.Top);
        Assert.All(byNorm.Components, c => Assert.Null(c.Projection));
        Assert.Equal((double)byNorm["L0H2"].norm().item<float>(), byNorm.Components.Single(c => c.Label == "L0H2").Norm, 5);

        var direction = model.W_U[.., 7];
        using var byProjection = decomposer.DecomposeResidual(tokens, 1, topK: 100, direction: direction);
        Assert.Equal("projection", byProjection.RankedBy);
        Assert.Equal(byProjection.Components.Count, byProjection.Top.Count);   // top k is capped at the component count
        var unit = direction / direction.norm();
        foreach (var c in byProjection.Components)
            Assert.Equal((double)byProjection[c.Label].dot(unit).item<float>(), c.Projection!.Value, 5);
        var magnitudes = byProjection.Top.Select(c => Math.Abs(c.Projection!.Value)).ToList();
        Assert.Equal(magnitudes.OrderByDescending(m => m), magnitudes);
    }

    [Fact]
    public void OnTheHandBuiltCircuit_ThePreviousTokenHead_IsWhatWritesThePreviousToken()
    {
        using var scope = NewDisposeScope();
        using var model = InductionGroundTruth.Create();
        var tokens = InductionGroundTruth.RepeatedSequences(1, seed: 3);
        const int position = 6;
        long previous = tokens[0, position - 1].item<long>();
        // The unit vector of the residual dimension that stores "previous token = t" (see InductionGroundTruth).
        var direction = zeros(InductionGroundTruth.DModel);
        direction[InductionGroundTruth.Vocab + InductionGroundTruth.Positions + (int)previous] = tensor(1f);

        using var rd = tools.Decomposer(model).DecomposeResidual(tokens, 1, topK: 1, position: position, direction: direction);

        Assert.Equal("L0H0", rd.Top[0].Label);
        Assert.True(rd.Top[0].Projection > 0.9, rd.ToString());
        Assert.All(rd.Components.Where(c => c.Label != "L0H0"), c => Assert.Equal(0, c.Projection!.Value, 4));
    }

    [Theory]
    [InlineData("gpt2", false)]
    [InlineData("llama", true)]
    public void MlpBasis_GivesOrthonormalReadAndWriteDirections_WithTheirShareOfVariance(string family, bool gated)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        using var basis = tools.Decomposer(model).MlpBasis(1);

        Assert.Equal(1, basis.Layer);
        Assert.Equal(gated, basis.Gated);
        var mlp = model.blocks[1].mlp!;
        foreach (var (factor, weights) in new[] { (basis.Read, mlp.W_in), (basis.Write, mlp.W_out) }.Concat(gated ? [(basis.Gate!, mlp.W_gate!)] : []))
        {
            int rank = (int)Math.Min(weights.shape[0], weights.shape[1]);
            Assert.Equal(new long[] { rank, model.Cfg.DModel }, factor.Directions.shape);
            var gram = factor.Directions.matmul(factor.Directions.T);
            Assert.True(gram.allclose(eye(rank), atol: 1e-4), "directions are orthonormal");
            Assert.Equal(factor.SingularValues.OrderByDescending(s => s), factor.SingularValues);
            Assert.Equal(1, factor.ExplainedVariance.Sum(), 5);
            // Σ sᵢ² = ‖W‖²_F: the singular values are those of the weights.
            Assert.Equal(weights.detach().square().sum().item<float>(), factor.SingularValues.Sum(s => s * s), 2);
        }
        // W_in maps read direction i to sᵢ times a unit vector in neuron space.
        var reads = basis.Read.Directions.matmul(mlp.W_in.detach()).square().sum(-1L).sqrt();
        Assert.True(reads.allclose(tensor(basis.Read.SingularValues.Select(s => (float)s).ToArray()), atol: 1e-4));
        // Every output of W_out lies in the span of the write directions.
        var output = randn(3, model.Cfg.DMlp).matmul(mlp.W_out.detach());
        var projected = output.matmul(basis.Write.Directions.T).matmul(basis.Write.Directions);
        Assert.True(projected.allclose(output, atol: 1e-4));
    }
}
