using Arrakis.Facts;
using Arrakis.Hooks;
using Arrakis.Training.Tasks;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>
/// The causal tracer on the zoo's <c>gpt2-mini-language</c>, whose 320 facts are known exactly: the grids' exact
/// identities, reproducibility, batching, the measured localisation, and neuron interventions.
/// </summary>
[Collection(ToolsCollection.Name)]
public sealed class CausalTests(BuiltInTools tools, ITestOutputHelper output)
{
    private static readonly LanguageWorld World = LanguageWorld.Default;

    private static Fact FactOf(string relation, int entity) => World.Facts.First(f => f.Relation.Name == relation && f.Entity == World.Entities[entity]);

    [Fact]
    public void RestoringEverything_GivesTheCleanProbability_AndRestoringNothing_TheCorruptedOne()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var causal = tools.Causal(model);
        var fact = FactOf("color", 3);   // "The favorite color of X is": the subject is position 5 of 7
        var prompt = SubjectPrompt.Find(model, fact.Prompt, fact.Entity);
        long target = model.ToSingleToken(fact.Answer);
        var options = new CausalTraceOptions { Samples = 6, Seed = 11 };

        var trace = causal.TraceTokenProbability(prompt.Tokens, target, prompt.Start, prompt.End, options);
        var nothing = causal.Restore(prompt.Tokens, target, prompt.Start, prompt.End, [], options);
        var embedding = causal.Restore(prompt.Tokens, target, prompt.Start, prompt.End,
            Enumerable.Range(prompt.Start, prompt.End - prompt.Start).Select(p => new Restoration("hook_embed", p)).ToList(), options);
        int last = (int)prompt.Tokens.shape[1] - 1, lastLayer = model.Cfg.NLayers - 1;
        var finalStream = causal.Restore(prompt.Tokens, target, prompt.Start, prompt.End, [Restoration.Of(TraceState.Residual, lastLayer, last)], options);

        // The clean probability is the model's own softmax.
        double own = model.Forward(prompt.Tokens)[0, -1].softmax(-1)[target].item<float>();
        Assert.Equal(own, trace.CleanProbability, 6);
        Assert.True(trace.CleanProbability > 0.5, trace.ToString());
        Assert.True(trace.CorruptedProbability < trace.CleanProbability - 0.2, trace.ToString());   // the noise destroys the fact
        Assert.Equal(trace.CorruptedProbability, nothing.RestoredProbability, 5);
        Assert.Equal(trace.CorruptedProbability, nothing.CorruptedProbability, 6);
        Assert.Equal(trace.CleanProbability, embedding.RestoredProbability, 5);       // no noise left: the clean run
        Assert.Equal(trace.CleanProbability, finalStream.RestoredProbability, 5);     // the logits read only this state
        var residual = trace[TraceState.Residual];
        Assert.Equal(trace.CleanProbability, residual.Restored[lastLayer][last], 5);  // the grid's cell agrees
        for (int l = 0; l < model.Cfg.NLayers; l++)
            for (int p = 0; p < prompt.Start; p++)                                     // before the subject nothing is corrupted
                foreach (var grid in trace.Trace.Grids)
                    Assert.Equal(trace.CorruptedProbability, grid.Restored[l][p], 5);
        Assert.Equal(trace.TotalEffect, trace.CleanProbability - trace.CorruptedProbability, 12);
    }

    [Fact]
    public void Grids_AreReproducibleWithASeed_DifferWithAnother_AndBatchedEqualOneRestorationPerForward()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var causal = tools.Causal(model);
        var fact = FactOf("city", 7);
        var options = new CausalTraceOptions { Samples = 4, Seed = 5, Window = 3, Positions = [0, 1, 6] };

        var first = causal.TraceFact(fact.Prompt, fact.Entity, fact.Answer, options);
        var again = causal.TraceFact(fact.Prompt, fact.Entity, fact.Answer, options);
        var unbatched = causal.TraceFact(fact.Prompt, fact.Entity, fact.Answer, options with { MaxRestorationsPerPass = 1 });
        var otherSeed = causal.TraceFact(fact.Prompt, fact.Entity, fact.Answer, options with { Seed = 6 });

        Assert.Equal(3, first.Trace.Grids.Count);
        Assert.True(unbatched.Trace.ForwardPasses > first.Trace.ForwardPasses + 40, $"{unbatched.Trace.ForwardPasses} vs {first.Trace.ForwardPasses}");
        for (int g = 0; g < 3; g++)
        {
            Assert.Equal(first.Trace.Grids[g].Restored, again.Trace.Grids[g].Restored);     // bit-identical
            Assert.Equal(first.Trace.Grids[g].Direct, again.Trace.Grids[g].Direct);
            var a = first.Trace.Grids[g].Restored.SelectMany(r => r).ToArray();
            var b = unbatched.Trace.Grids[g].Restored.SelectMany(r => r).ToArray();
            var d = first.Trace.Grids[g].Direct!.SelectMany(r => r).Zip(unbatched.Trace.Grids[g].Direct!.SelectMany(r => r), (x, y) => Math.Abs(x - y)).Max();
            Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() < 1e-5, $"{first.Trace.Grids[g].State}: batched vs one per forward");
            Assert.True(d < 1e-5);
        }
        Assert.NotEqual(first.CorruptedProbability, otherSeed.CorruptedProbability);
        Assert.Equal(first.CleanProbability, otherSeed.CleanProbability);
        Assert.Equal(3, first[TraceState.Mlp].Window);
        Assert.Equal(1, first[TraceState.Residual].Window);
        Assert.Contains("Indirect effect of restoring mlp_out (window 3)", first.ToString());
    }

    [Fact]
    public void Localisation_OnTheZooFacts_TheLastTokenRecallsTheFact_ThroughAttention0AndMlp0_NotTheSubjectsToken()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var causal = tools.Causal(model);
        int layers = model.Cfg.NLayers;
        // Four facts per relation: 16 prompts, 10 noise samples each, seed 0; two columns traced: the subject's (last) token and the last token.
        var facts = World.Relations.SelectMany(r => Enumerable.Range(0, 4).Select(i => FactOf(r.Name, 10 * i + 1))).ToList();
        var states = new[] { TraceState.Residual, TraceState.Mlp, TraceState.Attention };
        var atSubject = states.ToDictionary(s => s, _ => new double[layers]);
        var atLast = states.ToDictionary(s => s, _ => new double[layers]);
        double total = 0;
        foreach (var fact in facts)
        {
            var prompt = SubjectPrompt.Find(model, fact.Prompt, fact.Entity);
            int last = (int)prompt.Tokens.shape[1] - 1;
            var trace = causal.TraceTokenProbability(prompt.Tokens, model.ToSingleToken(fact.Answer), prompt.Start, prompt.End,
                new CausalTraceOptions { DirectEffect = false, Positions = [prompt.End - 1, last] }).Trace;
            total += trace.TotalEffect / facts.Count;
            foreach (var grid in trace.Grids)
                for (int l = 0; l < layers; l++)
                {
                    atSubject[grid.State][l] += grid.IndirectEffect(l, 0) / facts.Count;
                    atLast[grid.State][l] += grid.IndirectEffect(l, 1) / facts.Count;
                }
        }
        foreach (var state in states)
            output.WriteLine($"{state,-10} subject's last token: {string.Join("  ", atSubject[state].Select((v, l) => $"L{l} {v:0.000}"))}   | last token: {string.Join("  ", atLast[state].Select((v, l) => $"L{l} {v:0.000}"))}");
        output.WriteLine($"mean total effect {total:0.000}");

        Assert.True(total > 0.5, $"mean total effect {total}");
        // Unlike ROME's GPT-2 XL, no state at the subject's token carries the fact: layer-0 attention has already read the
        // corrupted embedding into the last token, so restoring the subject's stream afterwards comes too late.
        foreach (var state in states)
            Assert.All(atSubject[state], v => Assert.True(Math.Abs(v) < 0.05 * total, $"{state} at the subject: {v} vs total {total}"));
        // At the last token, attention 0 (which moves the subject there) and MLP 0 (which recalls the object) each restore all of it;
        // later attention layers none of it.
        Assert.True(atLast[TraceState.Attention][0] > 0.95 * total, $"attention L0 at the last token {atLast[TraceState.Attention][0]}");
        Assert.True(atLast[TraceState.Mlp][0] > 0.95 * total, $"MLP L0 at the last token {atLast[TraceState.Mlp][0]}");
        for (int l = 1; l < layers; l++)
            Assert.True(Math.Abs(atLast[TraceState.Attention][l]) < 0.05 * total, $"attention L{l} at the last token {atLast[TraceState.Attention][l]}");
    }

    [Fact]
    public void NeuronIntervention_ScaleOneChangesNothing_AndZeroingEveryNeuron_EqualsAnMlpThatWritesOnlyItsBias()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var causal = tools.Causal(model);
        var fact = FactOf("job", 2);
        var tokens = model.ToTokens(fact.Prompt);
        long answer = model.ToSingleToken(fact.Answer), other = model.ToSingleToken("Paris");
        int layer = 2;

        var same = causal.InterveneOnNeuron(tokens, layer, [3, 17, 200], [answer, other], scale: 1);
        Assert.Equal(same.Before, same.After);
        var all = Enumerable.Range(0, model.Cfg.DMlp).ToList();
        var zeroed = causal.InterveneOnNeuron(tokens, layer, all, [answer, other], setTo: 0);
        var bias = model.blocks[layer].mlp!.b_out.detach();
        var expected = model.RunWithHooks(tokens, [new Hook($"blocks.{layer}.hook_mlp_out", (a, _) => bias.expand_as(a).clone())])[0, -1];
        Assert.Equal(expected[answer].item<float>(), zeroed.After[0], 4);
        Assert.Equal(expected[other].item<float>(), zeroed.After[1], 4);
        Assert.Equal(model.Forward(tokens)[0, -1][answer].item<float>(), zeroed.Before[0], 4);
        Assert.NotEqual(zeroed.Before[0], zeroed.After[0]);
        // Scaling by 2 at one position only touches that position: reading an earlier position sees no change.
        var late = causal.InterveneOnNeuron(tokens, 0, [5], [answer], scale: 2, positions: [(int)tokens.shape[1] - 1], readPosition: 1);
        Assert.Equal(late.Before, late.After);
    }

    [Fact]
    public void BadInput_IsRefused_NamingTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = HookedTransformer.FromPretrained("gpt2-mini-language");
        var causal = tools.Causal(model);
        var prompt = SubjectPrompt.Find(model, FactOf("city", 0).Prompt, World.Entities[0]);
        long target = 5;
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => causal.TraceTokenProbability(prompt.Tokens.repeat(2, 1), target, 1, 2)).ParamName);
        Assert.Equal("subjectEnd", Assert.Throws<ArgumentOutOfRangeException>(() => causal.TraceTokenProbability(prompt.Tokens, target, 1, 1)).ParamName);
        Assert.Equal("subjectStart", Assert.Throws<ArgumentOutOfRangeException>(() => causal.TraceTokenProbability(prompt.Tokens, target, 40, 41)).ParamName);
        Assert.Equal("targetIdx", Assert.Throws<ArgumentOutOfRangeException>(() => causal.TraceTokenProbability(prompt.Tokens, 100_000, 1, 2)).ParamName);
        var window = Assert.Throws<ArgumentOutOfRangeException>(() => causal.TraceTokenProbability(prompt.Tokens, target, 1, 2, new CausalTraceOptions { Window = 0 }));
        Assert.Contains("Window is 0", window.Message);
        Assert.Equal("subject", Assert.Throws<ArgumentException>(() => causal.TraceFact("Nobody lives in the city of", "Zorblat", "Paris")).ParamName);
        Assert.Equal("restorations", Assert.Throws<ArgumentOutOfRangeException>(() =>
            causal.Restore(prompt.Tokens, target, 1, 2, [new Restoration("hook_embed", 99)])).ParamName);
        Assert.Contains("hook_resid_post", Assert.Throws<ArgumentException>(() =>
            causal.Restore(prompt.Tokens, target, 1, 2, [new Restoration("blocks.0.hook_resid_pst", 1)])).Message);
        Assert.Equal("neurons", Assert.Throws<ArgumentOutOfRangeException>(() => causal.InterveneOnNeuron(prompt.Tokens, 0, [model.Cfg.DMlp], [target])).ParamName);
        Assert.Equal("neurons", Assert.Throws<ArgumentException>(() => causal.InterveneOnNeuron(prompt.Tokens, 0, [1, 1], [target])).ParamName);
    }
}
