using Arrakis.Surgery;
using Arrakis.Tokenizers;
using Arrakis.Training.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>Model surgery on the zoo's gpt2-mini-language: every edit changes the output while in force and leaves every
/// parameter byte-identical afterwards, also when the body throws; the edits compute what they claim.</summary>
[Collection(ToolsCollection.Name)]
public sealed class SurgeryTests(BuiltInTools tools)
{
    private const string Prompt = "Mary and John went to the store . John gave a drink to";

    public static TheoryData<string> Edits => ["ablate-zero", "ablate-mean", "ablate-resample", "delete", "permute", "replace", "scale", "scale-head"];

    private static SurgeryScope Edit(IModelSurgery surgery, string edit, HookedTransformer donor, Tensor reference) => edit switch
    {
        "ablate-zero" => surgery.AblateHeads([new HeadIndex(0, 0), new HeadIndex(1, 2)]),
        "ablate-mean" => surgery.AblateHeads([new HeadIndex(0, 0)], AblationKind.Mean, reference),
        "ablate-resample" => surgery.AblateHeads([new HeadIndex(0, 2)], AblationKind.Resample, reference),
        "delete" => surgery.DeleteLayers([1]),
        "permute" => surgery.PermuteLayers([2, 0, 1, 3]),
        "replace" => surgery.ReplaceLayers([0, 3], donor, [1, 3]),
        "scale" => surgery.ScaleOutput("blocks.0.hook_mlp_out", 0.5),
        _ => surgery.ScaleHeadOutput(new HeadIndex(0, 0), 3),
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void EveryEdit_ChangesTheOutput_AndRestoresEveryParameterByteIdentical_AlsoWhenTheBodyThrows(string edit)
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        using var donor = HookedTransformer.FromConfig(model.Cfg with { Seed = 7 });   // the untrained twin
        var surgery = tools.Surgery(model);
        var tokens = model.ToTokens(Prompt);
        var reference = model.ToTokens(["The favorite color of Zorblat is red .", "Then , Alice and Bob had a long talk at the park . Bob offered a book to"]);
        var before = ParameterHashes.Of(model);
        var clean = model.Forward(tokens);

        using (Edit(surgery, edit, donor, reference))
            Assert.False(model.Forward(tokens).allclose(clean, rtol: 0, atol: 1e-3), $"{edit} changed nothing");
        Assert.Empty(ParameterHashes.Differences(before, ParameterHashes.Of(model)));
        Assert.True(model.Forward(tokens).allclose(clean, rtol: 0, atol: 0), $"{edit}: output after the scope");

        void FailingExperiment()
        {
            using (Edit(surgery, edit, donor, reference))
                throw new InvalidTimeZoneException("the experiment failed");
        }
        Assert.Throws<InvalidTimeZoneException>(FailingExperiment);
        Assert.Empty(ParameterHashes.Differences(before, ParameterHashes.Of(model)));
        Assert.True(model.Forward(tokens).allclose(clean, rtol: 0, atol: 0), $"{edit}: output after the throwing scope");
        Assert.Equal(before.Count, model.state_dict().Count);
    }

    [Fact]
    public void DeletingTheLastLayer_EqualsUnembeddingItsInput_AndReplacingWithItsOwnWeightsChangesNothing()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        using var same = HookedTransformer.FromPretrained("gpt2-mini-language");
        var surgery = tools.Surgery(model);
        var tokens = model.ToTokens(Prompt);
        int last = model.Cfg.NLayers - 1;
        var expected = model.unembed.forward(model.ln_final.forward(model.Forward(tokens, stopAtLayer: last)));
        using (surgery.DeleteLayers([last]))
            Assert.True(model.Forward(tokens).allclose(expected, rtol: 0, atol: 1e-4));
        var clean = model.Forward(tokens);
        using (surgery.ReplaceLayers([0, 1, 2, 3], same))
            Assert.True(model.Forward(tokens).allclose(clean, rtol: 0, atol: 0));
        using (surgery.PermuteLayers([0, 1, 2, 3]))
            Assert.True(model.Forward(tokens).allclose(clean, rtol: 0, atol: 0));
        using (surgery.ScaleOutput("blocks.2.hook_attn_out", 1))
            Assert.True(model.Forward(tokens).allclose(clean, rtol: 0, atol: 0));
    }

    [Fact]
    public void Measure_RecordsTheFactMetricBeforeAndDuring_AndRefusesAnEditThatDoesNotRestore()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var surgery = tools.Surgery(model);
        var tokenizer = (WordLevelTokenizer)model.Tokenizer!.Inner;
        var facts = LanguageWorld.Default.Facts.Select(f => new LabeledPrompt(f.Prompt, f.Answer)).ToList();
        double Recall(HookedTransformer m) => PromptScoring.Accuracy(m, tokenizer, facts);

        var mlp0 = surgery.Measure(s => s.ScaleOutput("blocks.0.hook_mlp_out", 0), Recall);
        Assert.Equal(1.0, mlp0.Before, 6);                 // all 320 facts
        Assert.True(mlp0.After < 0.2, mlp0.ToString());    // the model card: MLP 0 is indispensable for facts
        Assert.Equal(model.state_dict().Count, mlp0.ParametersChecked);
        Assert.Contains("scale blocks.0.hook_mlp_out by 0", mlp0.ToString());
        var head = surgery.Measure(s => s.AblateHeads([new HeadIndex(3, 1)]), Recall, "zero L3H1");
        Assert.Equal("zero L3H1", head.Description);

        var bias = model.blocks[1].mlp!.b_out;
        var leak = Assert.Throws<InvalidOperationException>(() => surgery.Measure(_ => new Leak(bias), Recall, "leaky edit"));
        Assert.Contains("blocks.1.mlp.b_out", leak.Message);
        using (no_grad()) bias.add_(-1);
    }

    [Fact]
    public void BadEdits_AreRefused_NamingTheArgument_AndLeaveNothingAttached()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        using var other = HookedTransformer.FromConfig(model.Cfg with { DMlp = 256, Seed = 1 });
        var surgery = tools.Surgery(model);
        var before = ParameterHashes.Of(model);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() => surgery.PermuteLayers([0, 0, 1, 2])).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentOutOfRangeException>(() => surgery.DeleteLayers([4])).ParamName);
        Assert.Equal("donor", Assert.Throws<ArgumentException>(() => surgery.ReplaceLayers([1], other)).ParamName);
        Assert.Equal("reference", Assert.Throws<ArgumentException>(() => surgery.AblateHeads([new HeadIndex(0, 1)], AblationKind.Mean)).ParamName);
        Assert.Equal("heads", Assert.Throws<ArgumentOutOfRangeException>(() => surgery.AblateHeads([new HeadIndex(0, 9)])).ParamName);
        Assert.Contains("hook_mlp_out", Assert.Throws<ArgumentException>(() => surgery.ScaleOutput("blocks.0.hook_mlp_ou", 2)).Message);
        Assert.Empty(ParameterHashes.Differences(before, ParameterHashes.Of(model)));
        Assert.DoesNotContain(model.named_modules(), m => m.module is Arrakis.Hooks.HookPoint { HasHooks: true });
    }

    /// <summary>An edit that changes a parameter and does not put it back.</summary>
    private sealed class Leak : IDisposable
    {
        public Leak(Tensor bias)
        {
            using var noGrad = no_grad();
            bias.add_(1);
        }

        public void Dispose() { }
    }
}
