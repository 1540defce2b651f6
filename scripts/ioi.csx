// ioi.csx — indirect-object identification: "When Mary and John went to the store, John gave a drink to" → " Mary".
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/ioi.csx --model gpt2-mini-language [-- PROMPTS SEED]
//
// For prompts built from the IOI templates of the zoo's `language` task (both name orders), it measures the logit
// difference logit(IO) − logit(S) at the last position, attributes it to every attention head directly (direct logit
// attribution through the frozen final norm: the heads' attributions plus the rest sum to the logit difference) and
// names the heads that matter most. The summary is saved as the experiment "ioi".
//
// Made for the zoo's gpt2-mini-language (word-level tokenizer); any model with a tokenizer runs it (names that are not
// one token are skipped).

int count = Args.Count > 0 ? int.Parse(Args[0]) : 64;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
string[] templates =
[
    "When {A} and {B} went to the {P}, {S} gave a {O} to",
    "After {A} and {B} arrived at the {P}, {S} handed a {O} to",
    "While {A} and {B} were working at the {P}, {S} passed a {O} to",
    "Once {A} and {B} met at the {P}, {S} sent a {O} to",
];
string[] names = ["Mary", "John", "Alice", "Bob", "Tom", "Anna", "James", "Sarah", "David", "Laura", "Peter", "Emma", "Paul", "Kate"];
string[] places = ["store", "park", "school", "office", "station", "market"];
string[] objects = ["drink", "book", "ball", "letter", "gift", "key"];

// The id of a word as it appears after a space (one token, or the word is skipped).
int? WordId(string word)
{
    var ids = Tokenizer.Encode(" " + word);
    return ids.Count == 1 ? ids[0] : null;
}
var usable = names.Where(n => WordId(n) is not null).ToArray();
if (usable.Length < 2) throw new InvalidOperationException($"{ModelName}'s tokenizer has fewer than two of the IOI names as single tokens.");

var random = new Random(seed);
var prompts = new List<(string Text, int Io, int S)>();
for (int i = 0; i < count; i++)
{
    string a = usable[random.Next(usable.Length)], b = usable[random.Next(usable.Length)];
    if (a == b) { i--; continue; }
    bool subjectIsA = i % 2 == 0; // both orders: the repeated name (S) is A in half the prompts, B in the other half
    string s = subjectIsA ? a : b, io = subjectIsA ? b : a;
    string text = templates[random.Next(templates.Length)].Replace("{A}", a).Replace("{B}", b).Replace("{S}", s)
        .Replace("{P}", places[random.Next(places.Length)]).Replace("{O}", objects[random.Next(objects.Length)]);
    prompts.Add((text, WordId(io)!.Value, WordId(s)!.Value));
}

var scope = NewDisposeScope(); // top-level script code cannot say `using var`; disposed at the end
var noGrad = no_grad();
var summary = Bench.Record("ioi", new Dictionary<string, object?> { ["prompts"] = count, ["seed"] = seed }, () =>
{
    var heads = new Dictionary<string, double>();
    double logitDiff = 0, correct = 0, rest = 0;
    // Prompts of one token length share a batch (no padding, so the last position is the answer's).
    var groups = prompts.GroupBy(p => Tokenizer.Encode(p.Text).Count).ToList();
    using var bar = Progress.Start("ioi batches", groups.Count);
    foreach (var group in groups)
    {
        Cancellation.ThrowIfCancellationRequested();
        var batch = group.ToList();
        var tokens = Model.ToTokens(batch.Select(p => p.Text).ToList());
        var io = tensor(batch.Select(p => (long)p.Io).ToArray()).to(Model.Device);
        var s = tensor(batch.Select(p => (long)p.S).ToArray()).to(Model.Device);
        var (logits, cache) = Model.RunWithCache(tokens);
        using var _ = cache;
        var last = logits[.., -1];                                                         // [batch, d_vocab]
        var diff = last.gather(-1, io.unsqueeze(-1)).squeeze(-1) - last.gather(-1, s.unsqueeze(-1)).squeeze(-1);
        logitDiff += diff.sum().item<float>();
        correct += (diff > 0).sum().item<long>();
        using var stack = cache.StackHeadResults(posSlice: -1, inclRemainder: true);       // [heads + 1, batch, d_model]
        var attributions = cache.LogitAttrs(stack.Stack, io, s, posSlice: -1).sum(1L);     // [heads + 1]
        var values = attributions.data<float>().ToArray();
        for (int h = 0; h < stack.Labels.Count; h++)
        {
            if (stack.Labels[h] == "remainder") rest += values[h];
            else heads[stack.Labels[h]] = heads.GetValueOrDefault(stack.Labels[h]) + values[h];
        }
        bar.Advance();
    }
    int n = prompts.Count;
    var ranked = heads.Select(kv => (Head: kv.Key, Value: kv.Value / n)).OrderByDescending(x => Math.Abs(x.Value)).ToList();
    return new Dictionary<string, object?>
    {
        ["model"] = Model.Cfg.ModelName,
        ["accuracy"] = correct / n,
        ["logitDiff"] = logitDiff / n,
        ["headsTotal"] = ranked.Sum(x => x.Value),
        ["rest"] = rest / n,
        ["topHead"] = ranked[0].Head,
        ["topHeads"] = ranked.Take(5).ToDictionary(x => x.Head, x => (object?)x.Value),
    };
});

Out.WriteLine($"IOI on {summary["model"]}: {prompts.Count} prompts (seed {seed}), e.g. \"{prompts[0].Text}\"");
Out.WriteLine($"  IO preferred over S          {(double)summary["accuracy"]!:P1}");
Out.WriteLine($"  mean logit difference        {(double)summary["logitDiff"]!:F3}  (IO − S at the last position)");
Out.WriteLine($"  direct attribution: heads    {(double)summary["headsTotal"]!:F3}, everything else {(double)summary["rest"]!:F3} (final-norm scale frozen; the two sum to the logit difference less the unembedding-bias difference)");
Out.WriteLine("  heads that matter most (mean direct logit attribution to IO − S):");
foreach (var (head, value) in (Dictionary<string, object?>)summary["topHeads"]!)
    Out.WriteLine($"      {head,-8} {(double)value!,8:F3}");
Out.WriteLine($"Saved as experiment 'ioi' (run {Bench.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
noGrad.Dispose();
scope.Dispose();
