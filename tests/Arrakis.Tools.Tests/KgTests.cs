using Arrakis.Facts;
using Arrakis.Tokenizers;
using Arrakis.Training.Tasks;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>Knowledge-graph extraction on gpt2-mini-language with its own world as the reference.</summary>
[Collection(ToolsCollection.Name)]
public sealed class KgTests(BuiltInTools tools, ITestOutputHelper output)
{
    [Fact]
    public void TheZooWorld_IsExtracted_WithPrecisionAndRecallAtLeastTheModelsFactAccuracy()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var world = LanguageWorld.Default;
        double accuracy = PromptScoring.Accuracy(model, (WordLevelTokenizer)model.Tokenizer!.Inner,
            world.Facts.Select(f => new LabeledPrompt(f.Prompt, f.Answer)).ToList());

        var graph = tools.Kg(model).ExtractKnowledgeGraph(KnowledgeWorld.From(world), new KnowledgeGraphOptions { Locate = false });
        output.WriteLine($"fact accuracy {accuracy:0.0000}; precision {graph.Precision:0.0000}, recall {graph.Recall:0.0000}, {graph.Facts.Count} triples, min confidence {graph.Facts.Min(f => f.Confidence):0.000}");

        Assert.Equal(320, graph.Queried);
        Assert.True(graph.Precision >= accuracy - 1e-9, $"precision {graph.Precision} < accuracy {accuracy}");
        Assert.True(graph.Recall >= accuracy - 1e-9, $"recall {graph.Recall} < accuracy {accuracy}");
        var one = graph.Facts.First(f => f.Triple.Subject == world.Facts[0].Entity && f.Triple.Relation == world.Facts[0].Relation.Name);
        Assert.Equal(world.Facts[0].Answer, one.Triple.Obj);
        Assert.True(one.Confidence > 0 && one.Confidence <= 1);

        // A threshold above every confidence extracts nothing: precision 0 by definition, recall 0.
        var none = tools.Kg(model).ExtractKnowledgeGraph(KnowledgeWorld.From(world) with { Subjects = world.Entities.Take(2).ToList() },
            new KnowledgeGraphOptions { Locate = false, MinConfidence = 1 });
        Assert.Empty(none.Facts);
        Assert.Equal(0, none.Recall);
    }

    [Fact]
    public void EachFact_IsLocatedAtTheCausalTracersPeak_Mlp0AtTheLastToken()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var world = KnowledgeWorld.From(LanguageWorld.Default) with { Subjects = LanguageWorld.Default.Entities.Take(3).ToList() };

        var graph = tools.Kg(model).ExtractKnowledgeGraph(world, new KnowledgeGraphOptions { Trace = new CausalTraceOptions { Samples = 5 } });

        Assert.Equal(12, graph.Facts.Count);
        foreach (var fact in graph.Facts)
        {
            var prompt = SubjectPrompt.Find(model, world.Relations.First(r => r.Name == fact.Triple.Relation).Prompt(fact.Triple.Subject), fact.Triple.Subject);
            int last = (int)prompt.Tokens.shape[1] - 1;
            output.WriteLine($"{fact.Triple}: peak L{fact.PeakLayer} @ {fact.PeakPosition} (IE {fact.PeakEffect:0.000})");
            Assert.Equal((0, last), (fact.PeakLayer!.Value, fact.PeakPosition!.Value));   // as the causal tracer measured (docs/tools/causal.md)
            Assert.True(fact.PeakEffect > 0.1);
        }
    }

    [Fact]
    public void BadWorlds_AreRefused()
    {
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var kg = tools.Kg(model);
        Assert.Equal("world", Assert.Throws<ArgumentException>(() => kg.ExtractKnowledgeGraph(new KnowledgeWorld([], [new KgRelation("city", "{S} lives in the city of")]))).ParamName);
        Assert.Contains("without {S}", Assert.Throws<ArgumentException>(() => kg.ExtractKnowledgeGraph(new KnowledgeWorld(["Zorblat"], [new KgRelation("city", "lives in the city of")]))).Message);
        Assert.Equal("options", Assert.Throws<ArgumentOutOfRangeException>(() =>
            kg.ExtractKnowledgeGraph(KnowledgeWorld.From(LanguageWorld.Default), new KnowledgeGraphOptions { MinConfidence = 2 })).ParamName);
    }
}
