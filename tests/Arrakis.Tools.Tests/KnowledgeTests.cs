using Arrakis.Probing;
using Arrakis.Training.Tasks;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>
/// Probes on gpt2-mini-language, whose facts are known: a probe for each fact's object (the answer among all 46 answers)
/// from the last position of the 320 fact prompts, on held-out subjects, beats its shuffled-label control on the trained
/// model and fails on its untrained twin.
/// </summary>
[Collection(ToolsCollection.Name)]
public sealed class KnowledgeTests(BuiltInTools tools, ITestOutputHelper output)
{
    private static (List<Tensor> Prompts, List<int> Labels) FactData(HookedTransformer model)
    {
        var world = LanguageWorld.Default;
        var answers = world.Relations.SelectMany(r => r.Answers).Distinct().ToList();
        var prompts = world.Facts.Select(f => model.ToTokens(f.Prompt)).ToList();
        return (prompts, world.Facts.Select(f => answers.IndexOf(f.Answer)).ToList());
    }

    [Fact]
    public void ObjectProbe_BeatsItsControl_OnTheTrainedModel_AndFailsOnTheUntrainedTwin()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        using var twin = HookedTransformer.FromConfig(model.Cfg with { Seed = 3 });
        twin.Tokenizer = model.Tokenizer;
        var (prompts, labels) = FactData(model);
        var reports = new List<ProbeProgress>();

        var trained = tools.Knowledge(model).KnowledgeProbe(prompts, labels, progress: new Progress(reports));
        var untrained = tools.Knowledge(twin).KnowledgeProbe(prompts, labels);
        output.WriteLine(trained.ToString());
        output.WriteLine(untrained.ToString());

        Assert.Equal(240, trained.TrainCount);
        Assert.Equal(80, trained.ValidationCount);
        Assert.Equal(model.Cfg.NLayers * 2 * ProbeOptions.Default.Steps, reports.Count);
        // Trained: the last layer's stream names the object of subjects the probe never saw; the control stays near chance.
        var last = trained.Layers[^1];
        Assert.True(last.Validation >= 0.8, trained.ToString());
        Assert.True(last.Selectivity >= 0.6, trained.ToString());
        // Untrained twin: no layer does better than 0.3, and no selectivity reaches 0.2.
        Assert.All(untrained.Layers, l => Assert.True(l.Validation < 0.3 && l.Selectivity < 0.2, untrained.ToString()));
    }

    [Fact]
    public void RidgeProbe_RecoversALinearTarget_AndItsControlDoesNot()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var (prompts, _) = FactData(model);
        // A target that is linear in layer 2's resid_post at the last position: the probe must find it (R² ≈ 1).
        var features = LinearProbing.Collect(model, prompts, "resid_post", -1)[2].to(float64);
        var direction = linspace(-1, 1, model.Cfg.DModel, dtype: float64);
        var targets = features.matmul(direction).data<double>().ToArray();

        var result = tools.Knowledge(model).RegressionProbe(prompts, targets, options: new ProbeOptions { L2 = 1e-6 });
        output.WriteLine(result.ToString());
        Assert.True(result.Layers[2].Validation > 0.999, result.ToString());
        Assert.True(result.Layers[2].Control < 0.2, result.ToString());
    }

    [Fact]
    public void BadInput_IsRefused_NamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var (prompts, labels) = FactData(model);
        var knowledge = tools.Knowledge(model);
        Assert.Equal("prompts", Assert.Throws<ArgumentException>(() => knowledge.KnowledgeProbe(prompts, labels.Take(10).ToList())).ParamName);
        Assert.Equal("activation", Assert.Throws<ArgumentException>(() => knowledge.KnowledgeProbe(prompts, labels, "resid_middle")).ParamName);
        Assert.Equal("position", Assert.Throws<ArgumentOutOfRangeException>(() => knowledge.KnowledgeProbe(prompts, labels, position: 30)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() => knowledge.KnowledgeProbe(prompts, labels, options: new ProbeOptions { TrainFraction = 1 })).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => knowledge.KnowledgeProbe(prompts, labels.Select(l => l - 1).ToList())).ParamName);
    }

    private sealed class Progress(List<ProbeProgress> reports) : IProgress<ProbeProgress>
    {
        public void Report(ProbeProgress value) => reports.Add(value);
    }
}
