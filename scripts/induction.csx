// induction.csx — the main job: find the induction circuit of a two-layer attention-only model.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/induction.csx [--model NAME] [-- SEQUENCES SEED]
//
// On repeated random sequences it finds the previous-token head (attends to position i−1) and the induction head
// (attends to the token after the earlier occurrence of the current token) with the attention tool's head detector
// (HeadDetector, TransformerLens's detect_head), measures their K-composition against the
// random baseline, path-patches the previous-token → induction-head path through the key, attributes the correct
// logit to every component (direct logit attribution) and saves the summary as the experiment "induction-circuit",
// with its figures (head scores, K-composition, path patching, DLA bars, the attention patterns of one sequence), and
// writes the run's self-contained HTML report (`arrakis report induction-circuit` writes it again).
//
// Model: the zoo's trained attn-only-2l by default (`arrakis models attn-only-2l` shows its card); the script reads no
// constant of it and runs on any two-layer model, e.g. `--model hand-built-induction`, whose circuit is set by hand.
// A trained model spreads induction over several heads, so the path is patched into the strongest induction head and
// into every head that scores ≥ 0.5 together (Wang et al. patch into a class of heads the same way).

int sequences = Args.Count > 0 ? int.Parse(Args[0]) : 32;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
var cfg = Model.Cfg;
if (cfg.NLayers < 2) throw new ArgumentException($"Induction needs two layers; {cfg.ModelName} has {cfg.NLayers}.");

// Repeated sequences: a random half (distinct tokens when the vocabulary allows) followed by its copy.
int half = Math.Min(Math.Min(cfg.NCtx / 2, cfg.DVocab), 32);
var random = new Random(seed);
var rows = new long[sequences * 2 * half];
for (int s = 0; s < sequences; s++)
{
    var first = Enumerable.Range(0, cfg.DVocab).OrderBy(_ => random.Next()).Take(half).ToArray();
    for (int i = 0; i < 2 * half; i++) rows[s * 2 * half + i] = first[i % half];
}
var scope = NewDisposeScope(); // top-level script code cannot say `using var`; disposed at the end
var noGrad = no_grad();
var tokens = tensor(rows).reshape(sequences, 2 * half).to(Model.Device);

// Mean log-probability of the correct next token over the repeated half, from its second token on (the first repeated
// token's earlier occurrence sits at position 0, which has no previous token to be keyed by).
Tensor InductionMetric(Tensor logits, Tensor toks) =>
    logits[.., (half + 1)..^1].log_softmax(-1).gather(-1, toks[.., (half + 2)..].unsqueeze(-1)).squeeze(-1).mean([1L]);

var summary = Bench.Record("induction-circuit", new Dictionary<string, object?> { ["sequences"] = sequences, ["seed"] = seed, ["half"] = half }, () =>
{
    using var bar = Progress.Start("induction circuit", 5);   // drawn on standard error when it is a terminal
    var (logits, cache) = Model.RunWithCache(tokens);
    using var _ = cache;
    bar.Advance();
    var predicted = logits[.., (half + 1)..^1].argmax(-1);
    double accuracy = predicted.eq(tokens[.., (half + 2)..]).to(ScalarType.Float32).mean().item<float>();

    // Head detector scores (TransformerLens's detect_head, "mul"), over the query rows each pattern marks: the
    // previous-token score is the mean attention i → i−1; the induction score the mean attention from a repeated token
    // to the token after its earlier occurrence (docs/tools/attention.md says how these relate to TL's defaults).
    using var prevScores = HeadDetector.Detect(Model, tokens, HeadName.PreviousTokenHead, matchedQueriesOnly: true);   // [layer, head]
    using var indScores = HeadDetector.Detect(Model, tokens, HeadName.InductionHead, matchedQueriesOnly: true);
    double[,] Grid(Tensor scores)
    {
        var grid = new double[cfg.NLayers, cfg.NHeads];
        for (int l = 0; l < cfg.NLayers; l++)
            for (int h = 0; h < cfg.NHeads; h++)
                grid[l, h] = scores[l, h].item<double>();
        return grid;
    }
    var prevScore = Grid(prevScores);
    var indScore = Grid(indScores);
    bar.Advance();
    var heads = Enumerable.Range(0, cfg.NLayers).SelectMany(l => Enumerable.Range(0, cfg.NHeads).Select(h => new HeadIndex(l, h))).ToList();
    var previousTokenHead = heads.Where(x => x.Layer < cfg.NLayers - 1).MaxBy(x => prevScore[x.Layer, x.Head]);
    var inductionHead = heads.Where(x => x.Layer > previousTokenHead.Layer).MaxBy(x => indScore[x.Layer, x.Head]);

    // K-composition of every earlier head into the induction head, against random matrices of the same shapes.
    using var kScores = CompositionScores.All(Model, CompositionKind.K);
    double ScoreK(HeadIndex w) => kScores[w.Layer, w.Head, inductionHead.Layer, inductionHead.Head].item<float>();
    var writers = heads.Where(x => x.Layer < inductionHead.Layer).OrderByDescending(ScoreK).ToList();
    double baseline = CompositionScores.RandomBaseline(cfg.DModel, cfg.DHead);
    bar.Advance();

    // Path patching: mean-ablate the sender along the direct path into the receiver's key only.
    var control = writers.Last();
    var paths = PathPatching.Run(Model, tokens, [(previousTokenHead, inductionHead), (control, inductionHead)], PathInput.Key, metric: InductionMetric);
    var inductionHeads = heads.Where(x => x.Layer == inductionHead.Layer && (x == inductionHead || indScore[x.Layer, x.Head] >= 0.5)).ToList();
    var intoAll = PathPatching.RunToReceivers(Model, tokens, previousTokenHead, inductionHeads, PathInput.Key, metric: InductionMetric);
    bar.Advance();

    // Direct logit attribution of the correct next token at the last predictable position, averaged over sequences.
    int pos = 2 * half - 2;
    using var full = cache.GetFullResidDecomposition(posSlice: pos);
    var attributions = cache.LogitAttrs(full.Stack, tokens[.., pos + 1], posSlice: pos).mean([1L]);
    var dla = full.Labels.Zip(attributions.data<float>().ToArray(), (label, value) => (Label: label, Value: (double)value))
        .OrderByDescending(x => x.Value).ToList();
    bar.Advance();

    // Figures, stored with this run (figures/{runId}/ in the experiment's folder) and drawn by its report.
    var layerLabels = Enumerable.Range(0, cfg.NLayers).Select(l => $"L{l}").ToList();
    var headLabels = Enumerable.Range(0, cfg.NHeads).Select(h => $"H{h}").ToList();
    double[][] Rows(double[,] grid) => Enumerable.Range(0, cfg.NLayers).Select(l => Enumerable.Range(0, cfg.NHeads).Select(h => grid[l, h]).ToArray()).ToArray();
    Plot.Heatmap("Previous-token score (mean attention i → i−1), layer × head", Rows(prevScore), layerLabels, headLabels, "layer", "head");
    Plot.Heatmap("Induction score (attention to the token after the earlier occurrence), layer × head", Rows(indScore), layerLabels, headLabels, "layer", "head");
    Plot.Bars($"K-composition into {inductionHead} (random baseline {baseline:F3})", writers.Select(w => w.ToString()).Append("random").ToList(),
        writers.Select(ScoreK).Append(baseline).ToList(), "K-composition score");
    Plot.Bars($"Path patching into {inductionHead}'s key: share of the sender's effect", [$"{previousTokenHead} → {inductionHead}", $"{control} → {inductionHead} (control)", $"{previousTokenHead} → all induction heads"],
        [paths[0].Fraction, (paths[1].Clean - paths[1].Patched) / (paths[0].Clean - paths[0].Corrupted), intoAll.Fraction], "fraction of the effect");
    Plot.Bars($"Direct logit attribution of the correct token at position {pos} (mean over sequences)", full.Labels.ToList(), attributions.data<float>().Select(v => (double)v).ToList(), "logit");
    using (var patterns = torch.stack(Enumerable.Range(0, cfg.NLayers).Select(l => cache["pattern", l][0]).ToArray()))   // [layer, head, q, k] of sequence 0
        Plot.Attention("Attention patterns of sequence 0 (hover a token: its sources light up)", patterns,
            rows.Take(2 * half).Select(t => Plot.TokenText?.Invoke(t) ?? t.ToString()).ToList());

    return new Dictionary<string, object?>
    {
        ["model"] = cfg.ModelName,
        ["accuracy"] = accuracy,
        ["previousTokenHead"] = previousTokenHead.ToString(),
        ["previousTokenScore"] = prevScore[previousTokenHead.Layer, previousTokenHead.Head],
        ["inductionHead"] = inductionHead.ToString(),
        ["inductionScore"] = indScore[inductionHead.Layer, inductionHead.Head],
        ["kComposition"] = ScoreK(previousTokenHead),
        ["kCompositionRank"] = writers.IndexOf(previousTokenHead) + 1,
        ["kBaseline"] = baseline,
        ["pathClean"] = paths[0].Clean,
        ["pathCorrupted"] = paths[0].Corrupted,
        ["pathPatched"] = paths[0].Patched,
        ["pathFraction"] = paths[0].Fraction,
        ["controlHead"] = control.ToString(),
        // The control path's change of the metric, as a share of the circuit path's total effect.
        ["controlFraction"] = (paths[1].Clean - paths[1].Patched) / (paths[0].Clean - paths[0].Corrupted),
        ["inductionHeads"] = string.Join(", ", inductionHeads),
        ["pathIntoAllPatched"] = intoAll.Patched,
        ["pathIntoAllFraction"] = intoAll.Fraction,
        ["topDla"] = dla[0].Label,
        ["topDlaValue"] = dla[0].Value,
        ["dla"] = dla.Take(5).ToDictionary(x => x.Label, x => (object?)x.Value),
        ["prevScores"] = heads.ToDictionary(x => x.ToString(), x => (object?)prevScore[x.Layer, x.Head]),
        ["inductionScores"] = heads.ToDictionary(x => x.ToString(), x => (object?)indScore[x.Layer, x.Head]),
    };
});

string F(object? v) => v switch { double d => d.ToString("F3"), float f => f.ToString("F3"), _ => v?.ToString() ?? "" };
Out.WriteLine($"Induction circuit of {summary["model"]} ({sequences} repeated sequences of 2×{half} tokens, seed {seed})");
Out.WriteLine($"  next-token accuracy, repeated half {(double)summary["accuracy"]!:P1}");
Out.WriteLine($"  previous-token head   {summary["previousTokenHead"]}  score {F(summary["previousTokenScore"])}   (mean attention i → i−1)");
Out.WriteLine($"  induction head        {summary["inductionHead"]}  score {F(summary["inductionScore"])}   (mean attention to the token after the earlier occurrence)");
Out.WriteLine($"  K-composition         {summary["previousTokenHead"]} → {summary["inductionHead"]}  {F(summary["kComposition"])}  (rank {summary["kCompositionRank"]} among earlier heads; random baseline {F(summary["kBaseline"])})");
Out.WriteLine($"  path patching (key)   clean {F(summary["pathClean"])}, sender ablated {F(summary["pathCorrupted"])}, path patched {F(summary["pathPatched"])}");
Out.WriteLine($"                        the {summary["previousTokenHead"]} → {summary["inductionHead"]} key path carries {(double)summary["pathFraction"]!:P0} of the effect; control {summary["controlHead"]} → {summary["inductionHead"]}: {(double)summary["controlFraction"]!:P0}");
Out.WriteLine($"                        into every induction head ({summary["inductionHeads"]}) together: {(double)summary["pathIntoAllFraction"]!:P0}");
Out.WriteLine($"  direct logit attribution of the correct token (top components):");
foreach (var (label, value) in (Dictionary<string, object?>)summary["dla"]!)
    Out.WriteLine($"      {label,-10} {F(value),8}");
Out.WriteLine($"Saved as experiment 'induction-circuit' (run {Bench.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
Out.WriteLine($"Report: {Plot.Report("induction-circuit", Bench.LastRun!.RunId)}");
noGrad.Dispose();
scope.Dispose();
