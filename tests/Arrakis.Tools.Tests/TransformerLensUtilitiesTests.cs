using Arrakis.Tests.Model;
using Arrakis.Util;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>TransformerLens's utilities (test_prompt, evals, head labels, FactoredMatrix operations) on known models.</summary>
public sealed class TransformerLensUtilitiesTests
{
    private const string IoiPrompt = "When Mary and John went to the store, John gave a drink to";

    [Fact]
    public void TestPrompt_OnTheZooLanguageModel_RanksTheIndirectObjectFirst_WithItsOwnProbability()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var printed = new StringWriter();

        var result = TestPrompt.Run(IoiPrompt, "Mary", model, topK: 3, output: printed);

        var answer = Assert.Single(result.Answers);
        Assert.Equal("Mary", answer.Text.Trim());
        Assert.Equal(0, answer.Rank);   // the card measures 100 % IOI accuracy on held-out names
        var tokens = model.ToTokens(IoiPrompt);
        var probs = model.Forward(tokens)[0, -1].softmax(-1);
        Assert.Equal(probs[answer.Token].item<float>(), answer.Probability, 5);
        Assert.Equal(answer.Token, result.TopK[0][0].Token);
        Assert.Equal(3, result.TopK[0].Count);
        Assert.Contains("Performance on answer token", printed.ToString());
        Assert.Equal("answer", Assert.Throws<ArgumentException>(() => TestPrompt.Run(IoiPrompt, "", model)).ParamName);
    }

    [Fact]
    public void Evals_InductionLoss_IsLowForTheTwoLayerModel_AndHighForTheOneLayerModel()
    {
        using var scope = NewDisposeScope();
        using var twoLayers = HookedTransformer.FromPretrained("attn-only-2l");
        using var oneLayer = HookedTransformer.FromPretrained("attn-only-1l");

        double withInduction = Evals.InductionLoss(twoLayers, batchSize: 8);
        double without = Evals.InductionLoss(oneLayer, batchSize: 8);

        double uniform = Math.Log(twoLayers.Cfg.DVocab);
        Assert.True(withInduction < 0.3 * uniform, $"2 layers: {withInduction} nats (uniform {uniform})");
        Assert.True(without > withInduction + 1, $"1 layer: {without} vs 2 layers: {withInduction}");
    }

    [Fact]
    public void Evals_SanityCheck_OfTheTrainedModel_BeatsUniformGuessing()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        double loss = Evals.SanityCheck(model, IoiPrompt + " Mary.");
        Assert.True(loss < 0.5 * Math.Log(model.Cfg.DVocab), $"{loss} nats");
    }

    [Fact]
    public void Evals_IoiEval_OnTheZooLanguageModel_PrefersTheIndirectObject_AndRefusesNamesThatAreNotOneToken()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var (difference, accuracy) = Evals.IoiEval(model);
        Assert.True(accuracy >= 0.95, $"accuracy {accuracy}, logit difference {difference}");   // its card: 100 % on held-out pairs
        Assert.True(difference > 2, $"logit difference {difference}");

        Assert.Equal("names", Assert.Throws<ArgumentException>(() => Evals.IoiEval(model, ["Mary"])).ParamName);
        Assert.Equal("names", Assert.Throws<ArgumentException>(() => Evals.IoiEval(model, ["Mary", "Mary Ann"])).ParamName);
    }

    [Fact]
    public void AllHeadLabels_AndToSingleStrToken_NameWhatTheModelHas()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var labels = model.AllHeadLabels();
        Assert.Equal(model.Cfg.NLayers * model.Cfg.NHeads, labels.Count);
        Assert.Equal("L0H0", labels[0]);
        Assert.Equal($"L{model.Cfg.NLayers - 1}H{model.Cfg.NHeads - 1}", labels[^1]);

        int mary = model.ToSingleToken("Mary");
        Assert.Equal(model.ToStrTokens("Mary", prependBos: false)[0], model.ToSingleStrToken(mary));
        Assert.Equal("token", Assert.Throws<ArgumentOutOfRangeException>(() => model.ToSingleStrToken(model.Cfg.DVocab)).ParamName);
    }

    [Fact]
    public void FactoredMatrix_MakeEvenCollapseAndUnsqueeze_KeepTheProduct()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        using var ov = model.OV;                                   // [layer, head, d_model, d_model]
        using var head = ov[1][2];

        using var even = head.MakeEven();
        Assert.True(even.AB.allclose(head.AB, rtol: 0, atol: 1e-5));
        Assert.True(even.A.T.matmul(even.A).allclose(even.B.matmul(even.B.T), rtol: 0, atol: 1e-4));   // both carry S
        Assert.Equal(head.Norm().item<float>(), head.CollapseL().norm().item<float>(), 4);
        Assert.Equal(head.Norm().item<float>(), head.CollapseR().norm().item<float>(), 4);
        var x = randn(model.Cfg.DModel, 3);
        Assert.Equal(head.AB.matmul(x).norm().item<float>(), head.CollapseL().matmul(x).norm().item<float>(), 3);
        Assert.Same(head.A, head.Pair.A);

        using var unsqueezed = ov.Unsqueeze(0);
        Assert.Equal(new long[] { 1, model.Cfg.NLayers, model.Cfg.NHeads, model.Cfg.DModel, model.Cfg.DModel }, unsqueezed.Shape);
        Assert.True(unsqueezed[0].AB.allclose(ov.AB, rtol: 0, atol: 0));
        Assert.Equal(new long[] { model.Cfg.NLayers, model.Cfg.NHeads, 1, model.Cfg.DModel, model.Cfg.DModel }, ov.Unsqueeze(-1).Shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => ov.Unsqueeze(5));
    }

    [Fact]
    public void GenerateStream_YieldsGeneratesTokens_WithEachStepsActivations_Batched()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var prompt = TestModels.Tokens(2, 5);
        var greedy = model.Generate(prompt, 4, temperature: 0);                                 // [2, 9]
        var sampled = model.Generate(prompt, 4, temperature: 1, seed: 3);

        var steps = model.GenerateStream(prompt, 4, temperature: 0, cacheNames: name => name.EndsWith("hook_resid_post")).ToList();
        var sampledSteps = model.GenerateStream(prompt, 4, temperature: 1, seed: 3).ToList();

        Assert.Equal(4, steps.Count);
        var (_, full) = model.RunWithCache(greedy);
        using (full)
            for (int k = 0; k < 4; k++)
            {
                Assert.True(steps[k].Tokens.allclose(greedy[.., 5 + k], rtol: 0, atol: 0), $"step {k}");
                Assert.True(sampledSteps[k].Tokens.allclose(sampled[.., 5 + k], rtol: 0, atol: 0), $"sampled step {k}");
                Assert.Null(sampledSteps[k].Cache);
                // Step 0 runs the prompt; step k feeds the token chosen at step k − 1, at position 4 + k.
                var mine = steps[k].Cache!["blocks.1.hook_resid_post"];                          // [2, 5 or 1, d_model]
                Assert.Equal(k == 0 ? 5 : 1, mine.shape[1]);
                var reference = full["blocks.1.hook_resid_post"][.., 4 + k];
                Assert.True(mine[.., -1].allclose(reference, rtol: 0, atol: 1e-4), $"step {k}");
            }
        foreach (var step in steps.Concat(sampledSteps)) step.Dispose();
        Assert.Equal("maxNewTokens", Assert.Throws<ArgumentOutOfRangeException>(() => model.GenerateStream(prompt, -1)).ParamName);
    }

    [Fact]
    public void TokenizeAndConcatenate_CutsTheJoinedTextsIntoRowsThatStartWithBos()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var tokenizer = model.Tokenizer!;
        string[] texts = [IoiPrompt + " Mary.", "The war lasted from the year 1732 to the year 1789.", IoiPrompt + " John."];

        var rows = DatasetTokens.TokenizeAndConcatenate(texts, tokenizer, maxLength: 8);

        var joined = new List<long>();
        foreach (var text in texts)
        {
            if (joined.Count > 0) joined.Add(tokenizer.EosTokenId ?? tokenizer.EffectivePadTokenId);
            joined.AddRange(tokenizer.TokenIds(text, prependBos: false));
        }
        Assert.Equal(joined.Count / 7, rows.shape[0]);   // the incomplete last row is dropped
        Assert.Equal(8, rows.shape[1]);
        Assert.All(Enumerable.Range(0, (int)rows.shape[0]), r => Assert.Equal((long)tokenizer.BosTokenId!, rows[r, 0].item<long>()));
        Assert.Equal(joined.Take((int)rows.shape[0] * 7), rows[.., 1..].reshape(-1).data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => DatasetTokens.TokenizeAndConcatenate(["Mary"], tokenizer, maxLength: 8));
    }
}
