using Arrakis.Tests.Model;
using Arrakis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

[Collection(ToolsCollection.Name)]
public sealed class LensTests(BuiltInTools tools)
{
    [Theory]
    [InlineData("gpt2")]    // LayerNorm
    [InlineData("llama")]   // RMSNorm
    public void LogitLens_IsTheFinalNormWithFreshStatistics_AndItsLastRowIsTheModelsOutput(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var tokens = TestModels.Tokens(2, 7);

        var lens = tools.Lens(model).LogitLens(tokens, targetToken: 3, topK: 4, batchIndex: 1);

        Assert.Equal(model.Cfg.NLayers + 1, lens.Layers.Count);
        Assert.Equal("final_post", lens.Layers[^1].Label);
        var (logits, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            var output = logits[1].log_softmax(-1);   // [pos, d_vocab]
            for (int p = 0; p < 7; p++)
            {
                var last = lens["final_post", p];
                Assert.True(last.Kl < 1e-5, $"position {p}: KL {last.Kl}");
                Assert.Equal(output[p].argmax().item<long>(), last.Top[0].Token);
                Assert.Equal(Math.Exp(output[p, 3].item<float>()), last.TargetProbability, 5);
            }
            // An earlier layer, through the model's own final norm module (statistics of resid_pre[1] itself).
            var x = cache["blocks.1.hook_resid_pre"][1];                                                     // [pos, d_model]
            var expected = (model.ln_final.Normalize(x, runHooks: false).matmul(model.W_U) + model.b_U).log_softmax(-1);
            for (int p = 0; p < 7; p++)
            {
                var cell = lens["1_pre", p];
                Assert.Equal(Math.Exp(expected[p, 3].item<float>()), cell.TargetProbability, 5);
                Assert.Equal(expected[p].gt(expected[p, 3]).sum().item<long>(), cell.TargetRank);
                Assert.Equal(expected[p].argmax().item<long>(), cell.Top[0].Token);
                double kl = (output[p].exp() * (output[p] - expected[p])).sum().item<float>();
                Assert.Equal(kl, cell.Kl, 4);
                Assert.True(cell.Top.Zip(cell.Top.Skip(1)).All(pair => pair.First.Probability >= pair.Second.Probability));
            }
        }
    }

    [Fact]
    public void FrozenFinalScale_DividesByTheFinalStreamsScale_AndKeepsTheLastRowExact()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var tokens = TestModels.Tokens(1, 6);

        var frozen = tools.Lens(model).LogitLens(tokens, targetToken: 5, freezeFinalScale: true);

        Assert.Equal("logit lens (frozen final scale)", frozen.Lens);
        var (_, cache) = model.RunWithCache(tokens);
        using (cache)
        {
            var x = cache["blocks.0.hook_resid_pre"][0];
            var centred = x - x.mean([-1L], keepdim: true);
            var normalized = centred / cache["ln_final.hook_scale"][0] * model.ln_final.w! + model.ln_final.b!;
            var expected = (normalized.matmul(model.W_U) + model.b_U).log_softmax(-1);
            for (int p = 0; p < 6; p++)
            {
                Assert.Equal(Math.Exp(expected[p, 5].item<float>()), frozen["0_pre", p].TargetProbability, 5);
                Assert.True(frozen["final_post", p].Kl < 1e-5);
            }
        }
    }

    [Fact]
    public void AnUntrainedTunedLens_ReadsExactlyAsTheLogitLens()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("neox");
        using var identity = TunedLens.Identity(model);
        var tokens = TestModels.Tokens(3, 8);

        var comparison = tools.Lens(model).CompareLenses(tokens, identity);

        Assert.Equal(model.Cfg.NLayers + 1, comparison.Layers.Count);
        Assert.All(comparison.Layers, l => Assert.Equal(l.LogitLens, l.TunedLens, 5));
        Assert.True(comparison.Layers[0].LogitLens > 0);
    }

    [Fact]
    public void TunedLens_OnTheZooLanguageModel_IsCloserToTheOutputThanTheLogitLens_AtEveryLayerButTheLast()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var task = TrainingTasks.Create("language");
        var train = task.Batch(new SeededRandom(20, 1), 64);   // [64, 64]; small, so it trains in seconds
        var heldOut = task.Batch(new SeededRandom(20, 2), 32);
        var lensTool = tools.Lens(model);
        var reports = new List<TunedLensProgress>();

        using var tuned = lensTool.TrainTunedLens(train, new TunedLensOptions { Steps = 60, BatchSize = 8, LearningRate = 1e-2 }, new Progress(reports));
        var comparison = lensTool.CompareLenses(heldOut, tuned);

        Assert.Equal(60, reports.Count);
        Assert.Equal(Enumerable.Range(1, 60), reports.Select(r => r.Step));
        Assert.True(reports[^1].Loss < reports[0].Loss, $"loss {reports[0].Loss} → {reports[^1].Loss}");
        foreach (var layer in comparison.Layers.SkipLast(1))
            Assert.True(layer.TunedLens < layer.LogitLens, $"{layer.Label}: tuned {layer.TunedLens} vs logit {layer.LogitLens}\n{comparison}");
        Assert.Equal(0, comparison.Layers[^1].LogitLens, 4);
        Assert.Equal(0, comparison.Layers[^1].TunedLens, 4);

        // Saved as safetensors and loaded back: the same translators, the same read-out.
        string path = Path.Combine(Directory.CreateTempSubdirectory("arrakis-tuned-lens-").FullName, "lens.safetensors");
        tuned.Save(path);
        using var loaded = TunedLens.Load(path, model);
        for (int l = 0; l < tuned.NLayers; l++)
        {
            Assert.True(loaded.Weight(l).allclose(tuned.Weight(l), rtol: 0, atol: 0));
            Assert.True(loaded.Bias(l).allclose(tuned.Bias(l), rtol: 0, atol: 0));
        }
        Assert.Equal(comparison.Layers[0].TunedLens, lensTool.CompareLenses(heldOut, loaded).Layers[0].TunedLens, 6);

        using var shallow = TestModels.Create("gpt2");
        var e = Assert.Throws<ArgumentException>(() => TunedLens.Load(path, shallow));
        Assert.Contains($"holds {tuned.NLayers} translators", e.Message);
    }

    [Fact]
    public void LogitLens_RefusesBadArguments_NamingThem()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var lens = tools.Lens(model);
        var tokens = TestModels.Tokens(1, 4);

        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => lens.LogitLens(tokens, topK: 0)).ParamName);
        Assert.Equal("targetToken", Assert.Throws<ArgumentOutOfRangeException>(() => lens.LogitLens(tokens, targetToken: model.Cfg.DVocab)).ParamName);
        Assert.Equal("batchIndex", Assert.Throws<ArgumentOutOfRangeException>(() => lens.LogitLens(tokens, batchIndex: 1)).ParamName);
        Assert.Equal("Steps", Assert.Throws<ArgumentOutOfRangeException>(() => lens.TrainTunedLens(tokens, new TunedLensOptions { Steps = 0 })).ParamName);
    }

    private sealed class Progress(List<TunedLensProgress> reports) : IProgress<TunedLensProgress>
    {
        public void Report(TunedLensProgress value) => reports.Add(value);
    }
}
