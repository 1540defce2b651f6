// circuit.csx — discover and evaluate the IOI circuit of gpt2-mini-language with the `circuits` tool.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/circuit.csx --model gpt2-mini-language [-- PROMPTS SEED PERCENT]
//
// Clean: "When Mary and John went to the store, John gave a drink to" (answer: Mary); corrupted: the other name as the
// subject of the second clause (the answer flips). Metric: logit(IO) − logit(S) at the last position, per prompt.
//   1. EAP-IG (8 steps) scores every edge of the graph (input, heads' q/k/v, MLPs, logits) — approximate scores;
//   2. the top PERCENT % (default 10) of edges by |score| are kept, dangling edges pruned;
//   3. the circuit is evaluated exactly: every edge outside it patched to its corrupted value (batched), faithfulness =
//      (M(circuit) − M(corrupted)) / (M(model) − M(corrupted)); completeness from the complement.
// The circuit is saved as the experiment "circuit" (JSON) and drawn as Graphviz DOT in OUT/circuit.dot.
using Arrakis.Circuits;
using Arrakis.Tools;

int count = Args.Count > 0 ? int.Parse(Args[0]) : 24;
int seed = Args.Count > 1 ? int.Parse(Args[1]) : 0;
int percent = Args.Count > 2 ? int.Parse(Args[2]) : 10;
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

var circuits = Tools.Get<ICircuitFinder>("circuits");
var summary = Bench.Record("circuit", new Dictionary<string, object?> { ["prompts"] = count, ["seed"] = seed, ["percent"] = percent }, () =>
{
    int budget = circuits.Graph().Count * percent / 100;
    var circuit = circuits.DiscoverEap(cleanIds, Corruption.Paired(corruptedIds), LogitDiff, topK: budget, integratedGradientSteps: 8);
    Out.WriteLine(circuit);
    Directory.CreateDirectory(OutDir);
    File.WriteAllText(Path.Combine(OutDir, "circuit.dot"), circuit.ToDot());
    var ev = circuit.Evaluation!;
    return new Dictionary<string, object?>
    {
        ["model"] = Model.Cfg.ModelName,
        ["clean"] = ev.CleanMetric,
        ["corrupted"] = ev.CorruptedMetric,
        ["faithfulness"] = ev.Faithfulness,
        ["completeness"] = ev.Completeness,
        ["edges"] = ev.Edges,
        ["graphEdges"] = ev.GraphEdges,
        ["nodes"] = circuit.Nodes.Select(n => n.Name).ToList(),
        ["circuit"] = circuit.ToJson(),
    };
});

Out.WriteLine($"IOI circuit of {summary["model"]}: {count} prompts (seed {seed}), e.g. \"{clean[0]}\" / \"{corrupted[0]}\"");
Out.WriteLine($"  logit difference (IO − S): model {(double)summary["clean"]!:F3}, corrupted {(double)summary["corrupted"]!:F3}");
Out.WriteLine($"  circuit: {summary["edges"]} of {summary["graphEdges"]} edges, faithfulness {(double)summary["faithfulness"]!:F3}, completeness {(double)summary["completeness"]!:F3}");
Out.WriteLine($"  nodes: {string.Join(", ", (List<string>)summary["nodes"]!)}");
Out.WriteLine($"Saved as experiment 'circuit' (run {Bench.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}; drawn in circuit.dot");
scope.Dispose();
