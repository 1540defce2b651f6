// patching.csx — the IOI patching tour: exact activation patching beside attribution patching.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/patching.csx --model gpt2-mini-language [-- PROMPTS SEED]
//
// Clean: "When Mary and John went to the store, John gave a drink to" (answer: Mary). Corrupted: the same sentence with
// the other name as the subject of the second clause ("…, Mary gave a drink to": the answer flips to John). Metric:
// logit(IO) − logit(S) at the last position, per prompt. The tour, all through the `patching` tool:
//   1. the residual stream entering each layer, patched clean → corrupted at one position at a time (exact);
//   2. every head's output over all positions (exact: one patched forward pass per head, batched);
//   3. the same heads by attribution patching (AtP: 2 forward + 1 backward passes, a first-order estimate), with the
//      rank correlation (Spearman) against step 2 and whether patching's top 5 heads are in AtP's top 10;
//   4. edge attribution patching (EAP) over the whole graph: the strongest edges.
// The summary is saved as the experiment "patching". Made for the zoo's gpt2-mini-language (word-level tokenizer;
// names that are not one token are skipped).
using Arrakis.Tools;

int count = Args.Count > 0 ? int.Parse(Args[0]) : 32;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
const string template = "When {A} and {B} went to the {P}, {S} gave a {O} to";
string[] names = ["Mary", "John", "Alice", "Bob", "Tom", "Anna", "James", "Sarah", "David", "Laura", "Peter", "Emma", "Paul", "Kate"];
string[] places = ["store", "park", "school", "office", "station", "market"];
string[] objects = ["drink", "book", "ball", "letter", "gift", "key"];

int? WordId(string word)
{
    var ids = Tokenizer.Encode(" " + word);
    return ids.Count == 1 ? ids[0] : null;
}
var usable = names.Where(n => WordId(n) is not null).ToArray();
if (usable.Length < 2) throw new InvalidOperationException($"{ModelName}'s tokenizer has fewer than two of the IOI names as single tokens.");

var random = new Random(seed);
var (clean, corrupted, io, s) = (new List<string>(), new List<string>(), new List<long>(), new List<long>());
while (clean.Count < count)
{
    string a = usable[random.Next(usable.Length)], b = usable[random.Next(usable.Length)];
    if (a == b) continue;
    string subject = clean.Count % 2 == 0 ? a : b, other = subject == a ? b : a;   // both name orders
    string place = places[random.Next(places.Length)], obj = objects[random.Next(objects.Length)];
    string Fill(string subj) => template.Replace("{A}", a).Replace("{B}", b).Replace("{S}", subj).Replace("{P}", place).Replace("{O}", obj);
    clean.Add(Fill(subject));
    corrupted.Add(Fill(other));
    io.Add(WordId(other)!.Value);
    s.Add(WordId(subject)!.Value);
}

var scope = NewDisposeScope(); // top-level script code cannot say `using var`; disposed at the end
var cleanIds = Model.ToTokens(clean);
var corruptedIds = Model.ToTokens(corrupted);
var ioIds = tensor(io.ToArray(), device: Model.Device).unsqueeze(1);
var sIds = tensor(s.ToArray(), device: Model.Device).unsqueeze(1);
Tensor LogitDiff(Tensor logits) => (logits[.., -1].gather(-1, ioIds) - logits[.., -1].gather(-1, sIds)).squeeze(1);   // [batch]

var patching = Tools.Get<IActivationPatcher>("patching");
var summary = Bench.Record("patching", new Dictionary<string, object?> { ["prompts"] = count, ["seed"] = seed }, () =>
{
    var resid = patching.GetActPatchResidPre(cleanIds, corruptedIds, LogitDiff);
    Out.WriteLine(resid);
    var exact = patching.GetActPatchAttnHeadOutAllPos(cleanIds, corruptedIds, LogitDiff);
    Out.WriteLine(exact);
    var atp = patching.AttributionPatch(cleanIds, corruptedIds, LogitDiff, "z", [PatchAxis.Layer, PatchAxis.Head]);
    Out.WriteLine(atp);
    var eap = patching.EdgeAttributionPatch(cleanIds, corruptedIds, LogitDiff);
    Out.WriteLine(eap);

    double[] exactEffects = exact.Effects().Select(e => e.Effect).ToArray(), atpEffects = atp.Effects().Select(e => e.Effect).ToArray();
    string Head(int i) => $"L{i / Model.Cfg.NHeads}H{i % Model.Cfg.NHeads}";
    var exactTop5 = RankCorrelation.TopByMagnitude(exactEffects, 5);
    var atpTop10 = RankCorrelation.TopByMagnitude(atpEffects, 10);
    return new Dictionary<string, object?>
    {
        ["model"] = Model.Cfg.ModelName,
        ["clean"] = exact.CleanMetric,
        ["corrupted"] = exact.CorruptedMetric,
        ["spearman"] = RankCorrelation.Spearman(exactEffects, atpEffects),
        ["exactTop5"] = exactTop5.Select(Head).ToList(),
        ["atpTop10"] = atpTop10.Select(Head).ToList(),
        ["top5InAtpTop10"] = exactTop5.All(atpTop10.Contains),
        ["exactForwardPasses"] = exact.ForwardPasses,
        ["topEdge"] = eap.Top(1)[0].Name,
    };
});

Out.WriteLine($"IOI patching on {summary["model"]}: {count} prompts (seed {seed}), e.g. \"{clean[0]}\" / \"{corrupted[0]}\"");
Out.WriteLine($"  logit difference (IO − S): clean {(double)summary["clean"]!:F3}, corrupted {(double)summary["corrupted"]!:F3}");
Out.WriteLine($"  heads by output: exact patching's top 5 {string.Join(", ", (List<string>)summary["exactTop5"]!)}; AtP's top 10 {string.Join(", ", (List<string>)summary["atpTop10"]!)}");
Out.WriteLine($"  AtP against exact patching over all heads: Spearman {(double)summary["spearman"]!:F3}; exact top 5 within AtP top 10: {((bool)summary["top5InAtpTop10"]! ? "yes" : "no")}");
Out.WriteLine($"  passes: exact {summary["exactForwardPasses"]} forward; AtP 2 forward + 1 backward");
Out.WriteLine($"Saved as experiment 'patching' (run {Bench.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
scope.Dispose();
