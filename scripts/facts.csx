// facts.csx — where gpt2-mini-language keeps its facts: a causal trace of one fact, probes of the facts' objects per
// layer, and the knowledge graph read from the model against its own world.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/facts.csx [--model gpt2-mini-language] [-- SUBJECTS SEED]
//
// Model: the zoo's gpt2-mini-language by default; its world (LanguageWorld.Default) is the ground truth. SUBJECTS
// (default 80) entities are extracted and probed. Saves the summary as the experiment "facts".
using Arrakis.Facts;
using Arrakis.Probing;
using Arrakis.Tools;
using Arrakis.Training.Tasks;

sealed class StepReporter(Action<ProbeProgress> report) : IProgress<ProbeProgress>
{
    public void Report(ProbeProgress value) => report(value);
}

int subjects = Args.Count > 0 ? int.Parse(Args[0]) : 80;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
var world = LanguageWorld.Default;
var entities = world.Entities.Take(subjects).ToList();
var facts = world.Facts.Where(f => entities.Contains(f.Entity)).ToList();

Bench.Record("facts", new Dictionary<string, object?> { ["subjects"] = subjects, ["seed"] = seed }, () =>
{
    var fact = facts[0];
    var trace = Tools.Get<ICausalTracer>("causal").TraceFact(fact.Prompt, fact.Entity, fact.Answer,
        new CausalTraceOptions { Seed = seed, DirectEffect = false, States = [TraceState.Mlp, TraceState.Attention] });
    Out.WriteLine($"Facts of {Model.Cfg.ModelName}: '{fact.Prompt}' → {fact.Answer}");
    Out.Write(trace);
    var mlpPeak = trace[TraceState.Mlp].Peak(trace.Trace.Tokens.Count - 1);
    Out.WriteLine($"MLP peak at the last token: L{mlpPeak.Layer} (IE {mlpPeak.Effect:0.000})");

    var answers = world.Relations.SelectMany(r => r.Answers).Distinct().ToList();
    ProbeResult probe;
    using (var bar = Progress.Start("probes", Model.Cfg.NLayers * 2 * ProbeOptions.Default.Steps))
        probe = Tools.Get<IKnowledgeProber>("knowledge").KnowledgeProbe(facts.Select(f => Model.ToTokens(f.Prompt)).ToList(),
            facts.Select(f => answers.IndexOf(f.Answer)).ToList(), options: new ProbeOptions { Seed = seed }, progress: new StepReporter(_ => bar.Advance()));
    Out.Write(probe);

    var full = KnowledgeWorld.From(world);
    var graph = Tools.Get<IKnowledgeGraphExtractor>("kg").ExtractKnowledgeGraph(
        full with { Subjects = entities, Reference = full.Reference!.Where(t => entities.Contains(t.Subject)).ToList() },
        new KnowledgeGraphOptions { Locate = false });
    Out.WriteLine($"knowledge graph: {graph.Facts.Count} triples from {graph.Queried} prompts, precision {graph.Precision:0.000}, recall {graph.Recall:0.000}");
    return new Dictionary<string, object?>
    {
        ["cleanProbability"] = trace.CleanProbability, ["totalEffect"] = trace.TotalEffect, ["mlpPeakLayer"] = mlpPeak.Layer,
        ["probeValidation"] = probe.Layers[^1].Validation, ["probeSelectivity"] = probe.Layers[^1].Selectivity,
        ["precision"] = graph.Precision, ["recall"] = graph.Recall,
    };
});
Out.WriteLine($"Saved as experiment 'facts' (run {Bench.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
