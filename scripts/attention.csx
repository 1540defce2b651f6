// attention.csx — the attention tool on repeated random sequences: what each head attends to, which heads
// TransformerLens's head detector finds, and what ablating each head costs.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/attention.csx [--model NAME] [-- SEQUENCES SEED]
//
// Model: the zoo's attn-only-2l by default; any model runs (e.g. --model hand-built-induction, whose heads are known).
// Saves the detector's best heads and the ablation table as the experiment "attention-heads".
using Arrakis.Tools;

int sequences = Args.Count > 0 ? int.Parse(Args[0]) : 16;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
var cfg = Model.Cfg;
var attention = Tools.Get<IAttentionTools>("attention");

// A random half (distinct tokens when the vocabulary allows) followed by its copy.
int half = Math.Min(Math.Min(cfg.NCtx / 2, cfg.DVocab), 32);
var random = new Random(seed);
var rows = new long[sequences * 2 * half];
for (int s = 0; s < sequences; s++)
{
    var first = Enumerable.Range(0, cfg.DVocab).OrderBy(_ => random.Next()).Take(half).ToArray();
    for (int i = 0; i < 2 * half; i++) rows[s * 2 * half + i] = first[i % half];
}
var tokens = tensor(rows).reshape(sequences, 2 * half).to(Model.Device);

// Mean log-probability of the correct next token over the repeated half (from its second token on).
Tensor InductionMetric(Tensor logits, Tensor toks) =>
    logits[.., (half + 1)..^1].log_softmax(-1).gather(-1, toks[.., (half + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);

var summary = Bench.Record("attention-heads", new Dictionary<string, object?> { ["sequences"] = sequences, ["seed"] = seed, ["half"] = half }, () =>
{
    using var patterns = attention.AttentionPatterns(tokens);
    Out.WriteLine($"Attention tool on {cfg.ModelName} ({sequences} repeated sequences of 2×{half} tokens, seed {seed})");
    Out.Write(patterns);

    var previous = attention.DetectHead(tokens, HeadName.PreviousTokenHead, matchedQueriesOnly: true);
    var duplicate = attention.DetectHead(tokens, HeadName.DuplicateTokenHead, matchedQueriesOnly: true);
    var induction = attention.DetectHead(tokens, HeadName.InductionHead, matchedQueriesOnly: true);
    var inductionTl = attention.DetectHead(tokens, HeadName.InductionHead);   // TransformerLens's defaults: every query row
    var best = new[] { previous, duplicate, induction }.Select(r => (r.Pattern, r.Best())).ToList();
    Out.WriteLine("Head detector (mul, over the query rows each pattern marks):");
    foreach (var (name, head) in best)
        Out.WriteLine($"  {name,-20} {head.Head}  {head.Score:F3}");
    var top = induction.Best().Head;
    Out.WriteLine($"  {top} with TransformerLens's defaults (every row): {inductionTl[top]:F3}");

    var whatTopSees = patterns.TopAttended(top, numTokens: 2);
    Out.WriteLine($"What {top} attends to from the first queries of the repeated half:");
    foreach (var q in whatTopSees.Queries.Skip(half + 1).Take(3))
        Out.WriteLine($"  query {q.Position} (token {q.Token}): " + string.Join(", ", q.Sources.Select(s => $"position {s.Position} (token {s.Token}) {s.Weight:F3}")));

    var ablation = attention.AblateHeads(tokens, AblationKind.Mean, metric: InductionMetric);
    Out.Write(ablation);
    return new Dictionary<string, object?>
    {
        ["model"] = cfg.ModelName,
        ["previousTokenHead"] = best[0].Item2.Head.ToString(),
        ["previousTokenScore"] = best[0].Item2.Score,
        ["duplicateTokenHead"] = best[1].Item2.Head.ToString(),
        ["inductionHead"] = top.ToString(),
        ["inductionScore"] = induction[top],
        ["inductionScoreTl"] = inductionTl[top],
        ["clean"] = ablation.Clean,
        ["ablation"] = ablation.Heads.ToDictionary(h => h.Head.ToString(), h => (object?)h.Effect),
    };
});
Out.WriteLine($"Saved as experiment 'attention-heads' (run {Bench.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
