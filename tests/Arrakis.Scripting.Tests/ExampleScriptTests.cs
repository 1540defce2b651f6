using System.Text.Json;
using Arrakis.Bench;

namespace Arrakis.Scripting.Tests;

/// <summary>Every example script under scripts/ runs, and prints and saves what it should.</summary>
[Collection(HostCollection.Name)]
public sealed class ExampleScriptTests(HostFixture fixture)
{
    [Fact]
    public async Task Induction_FindsTheCircuitOfTheStandInModel_AndSavesTheRecord()
    {
        using var dir = new TempFolder();
        string store = dir.File("exps");
        var (globals, output, _) = fixture.Globals(store, "16", "1");
        await fixture.Host.RunFileAsync(Path.Combine(Repo.Scripts, "induction.csx"), globals);
        string text = output.ToString();
        Assert.Contains("Induction circuit of hand-built-induction (16 repeated sequences of 2×8 tokens, seed 1)", text);
        Assert.Contains("next-token accuracy, repeated half 100.0 %", text);
        Assert.Contains("previous-token head   L0H0  score 1.000", text);
        // The head detector's induction score counts every repeated token, the first one too (its earlier copy sits at
        // position 0, which also writes its own token as "previous token", so L1H0 splits that row between keys 0 and 1):
        // (7 · 1 + 1 · 0.5) / 8 ≈ 0.94.
        Assert.Matches(@"induction head        L1H0  score 0\.93\d", text);
        Assert.Contains("K-composition         L0H0 → L1H0", text);
        Assert.Contains("(rank 1 among earlier heads", text);
        Assert.Matches(@"key path carries (9\d|100) % of the effect; control L0H1 → L1H0: -?\d %", text);
        Assert.Matches(@"\n      L1H0 +\d+\.\d{3}\n", text.Replace("\r", ""));

        var run = Assert.Single(new ExperimentStore(store).ReadRuns("induction-circuit"));
        Assert.Equal("ok", run.Status);
        Assert.Equal("induction.csx", run.SourcePath);
        Assert.Equal("hand-built-induction", run.Model!.Name);
        Assert.Equal("L1H0", run.Result!["inductionHead"]!.GetValue<string>());
        Assert.True(run.Result!["pathFraction"]!.GetValue<double>() >= 0.8);
        Assert.True(run.Result!["kComposition"]!.GetValue<double>() > run.Result!["kBaseline"]!.GetValue<double>());
        Assert.Equal("L1H0", run.Result!["topDla"]!.GetValue<string>());
    }

    [Fact]
    public async Task Induction_OnTheShippedAttnOnly2l_FindsItsTrainedCircuit()
    {
        // The main job's model. The heads are found by the script; what is asserted is what makes them a circuit.
        using var dir = new TempFolder();
        string store = dir.File("exps");
        var output = new StringWriter();
        var globals = new ScriptGlobals(() => HookedTransformer.FromPretrained("attn-only-2l"), args: ["16", "2"], outDir: store, output: output, modelName: "attn-only-2l");
        await fixture.Host.RunFileAsync(Path.Combine(Repo.Scripts, "induction.csx"), globals);
        string text = output.ToString();
        Assert.Contains("Induction circuit of attn-only-2l (16 repeated sequences of 2×32 tokens, seed 2)", text);

        var result = Assert.Single(new ExperimentStore(store).ReadRuns("induction-circuit")).Result!;
        double Number(string key) => result[key]!.GetValue<double>();
        Assert.True(Number("accuracy") >= 0.9, text);
        Assert.StartsWith("L0", result["previousTokenHead"]!.GetValue<string>());
        Assert.True(Number("previousTokenScore") >= 0.5, text);
        Assert.StartsWith("L1", result["inductionHead"]!.GetValue<string>());
        Assert.True(Number("inductionScore") >= 0.5, text);
        Assert.Equal(1, result["kCompositionRank"]!.GetValue<int>());
        Assert.True(Number("kComposition") > Number("kBaseline"), text);
        // Several induction heads share the work: the path into all of them carries the effect (measured 108 % at seed 0).
        Assert.True(Number("pathIntoAllFraction") >= 0.8, text);
        Assert.True(Math.Abs(Number("controlFraction")) <= 0.1, text);
        string top = result["topDla"]!.GetValue<string>();
        Assert.True(result["inductionScores"]![top]!.GetValue<double>() >= 0.5, $"the largest direct attribution, {top}, is not an induction head:\n{text}");
    }

    [Fact]
    public async Task Ioi_OnTheShippedGpt2MiniLanguage_PrefersTheIndirectObject()
    {
        using var dir = new TempFolder();
        string store = dir.File("exps");
        var output = new StringWriter();
        var globals = new ScriptGlobals(() => HookedTransformer.FromPretrained("gpt2-mini-language"), args: ["32", "5"], outDir: store, output: output, modelName: "gpt2-mini-language");
        await fixture.Host.RunFileAsync(Path.Combine(Repo.Scripts, "ioi.csx"), globals);
        string text = output.ToString();
        Assert.Contains("IOI on gpt2-mini-language: 32 prompts (seed 5)", text);

        var result = Assert.Single(new ExperimentStore(store).ReadRuns("ioi")).Result!;
        double diff = result["logitDiff"]!.GetValue<double>();
        Assert.True(result["accuracy"]!.GetValue<double>() >= 0.95, text);   // measured 100 % (64 prompts, seed 0)
        Assert.True(diff > 2, text);                                           // measured 8.9
        double heads = result["headsTotal"]!.GetValue<double>(), rest = result["rest"]!.GetValue<double>();
        Assert.True(Math.Abs(heads + rest - diff) <= 1e-3 * Math.Max(1, Math.Abs(diff)), $"heads {heads} + rest {rest} vs logit difference {diff}");
        Assert.True(result["topHeads"]!.AsObject().First().Value!.GetValue<double>() > 0, text);
    }

    [Fact]
    public async Task Ioi_MeasuresTheLogitDifference_AndItsDirectAttributionAddsUp()
    {
        // A random GPT-2 folder with the real GPT-2 byte-level BPE tokenizer, loaded as --model DIR would be: the script
        // works beyond the zoo's word-level tokenizer. The numbers mean nothing here; that the attribution adds up does.
        using var dir = new TempFolder();
        string folder = dir.File("gpt2-random");
        using (var model = new HookedAutoModel(HookedAutoConfig.Create("gpt2", seed: 0))) model.SavePretrained(folder);
        string data = Path.Combine(Repo.Root, "tests", "Arrakis.Core.Tests", "TestData", "gpt2");
        File.Copy(Path.Combine(data, "encoder.json"), Path.Combine(folder, "vocab.json"));
        File.Copy(Path.Combine(data, "vocab.bpe"), Path.Combine(folder, "merges.txt"));

        string store = dir.File("exps");
        var output = new StringWriter();
        var globals = new ScriptGlobals(() => HookedTransformer.FromPretrained(folder), args: ["12", "3"], outDir: store, output: output, modelName: "gpt2-random");
        await fixture.Host.RunFileAsync(Path.Combine(Repo.Scripts, "ioi.csx"), globals);
        string text = output.ToString();
        Assert.Contains("IOI on gpt2-random: 12 prompts (seed 3)", text);
        Assert.Contains("heads that matter most", text);

        var run = Assert.Single(new ExperimentStore(store).ReadRuns("ioi"));
        double diff = run.Result!["logitDiff"]!.GetValue<double>();
        double heads = run.Result!["headsTotal"]!.GetValue<double>(), rest = run.Result!["rest"]!.GetValue<double>();
        Assert.True(Math.Abs(heads + rest - diff) <= 1e-3 * Math.Max(1, Math.Abs(diff)), $"heads {heads} + rest {rest} vs logit difference {diff}");
        Assert.Equal(5, run.Result!["topHeads"]!.AsObject().Count);
    }

    [Fact]
    public async Task Patching_OnTheShippedGpt2MiniLanguage_PutsAtPBesideExactPatching()
    {
        using var dir = new TempFolder();
        var r = await ArrakisProcess.RunAsync(dir.Path, dir.File(".cache"), null,
            "run", Path.Combine(Repo.Scripts, "patching.csx"), "--model", "gpt2-mini-language", "--device", "cpu", "--out", "exps", "--", "16", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("IOI patching on gpt2-mini-language: 16 prompts (seed 1)", r.Out);
        Assert.Contains("exact activation patching of resid_pre [layer, pos], denoising", r.Out);
        Assert.Contains("exact activation patching of z [layer, head], denoising", r.Out);
        Assert.Contains("AtP (attribution patching: a first-order estimate, not a patch) of z [layer, head]", r.Out);
        Assert.Contains("EAP (edge attribution patching", r.Out);

        var result = Assert.Single(new ExperimentStore(dir.File("exps")).ReadRuns("patching")).Result!;
        Assert.True(result["clean"]!.GetValue<double>() > 2 && result["corrupted"]!.GetValue<double>() < -2, r.Out);   // the corruption flips the answer
        Assert.True(result["spearman"]!.GetValue<double>() >= 0.8, r.Out);
        Assert.True(result["top5InAtpTop10"]!.GetValue<bool>(), r.Out);
        Assert.True(result["exactForwardPasses"]!.GetValue<int>() < 2 + 16, r.Out);   // batched: fewer passes than clean + corrupted + one per head
    }

    [Fact]
    public async Task Circuit_DiscoversAndEvaluatesTheIoiCircuit_AndSavesIt()
    {
        using var dir = new TempFolder();
        var r = await ArrakisProcess.RunAsync(dir.Path, dir.File(".cache"), null,
            "run", Path.Combine(Repo.Scripts, "circuit.csx"), "--model", "gpt2-mini-language", "--device", "cpu", "--out", "exps", "--", "16", "1", "10");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("IOI circuit of gpt2-mini-language: 16 prompts (seed 1)", r.Out);
        Assert.Contains("EAP-IG (8 steps), top 47", r.Out);

        var result = Assert.Single(new ExperimentStore(dir.File("exps")).ReadRuns("circuit")).Result!;
        Assert.True(result["clean"]!.GetValue<double>() > 2 && result["corrupted"]!.GetValue<double>() < -2, r.Out);
        Assert.True(result["edges"]!.GetValue<int>() <= result["graphEdges"]!.GetValue<int>() / 10, r.Out);
        Assert.True(result["faithfulness"]!.GetValue<double>() >= 0.8, r.Out);
        var circuit = Arrakis.Circuits.Circuit.FromJson(result["circuit"]!.GetValue<string>());
        Assert.Equal(result["edges"]!.GetValue<int>(), circuit.Edges.Count);
        Assert.StartsWith("digraph circuit {", File.ReadAllText(dir.File("exps/circuit.dot")));
    }

    [Theory]
    [InlineData("decomposer", "MIExperiment.TestResidualDecomposer", "Residual stream entering layer 1 (blocks.1.hook_resid_pre) at position 49 of sequence 0")]
    [InlineData("logit", "MIExperiment.TestLogitAttributor", "Direct logit attribution of token 0 at position 49 (sequence 0)")]
    [InlineData("composer", "MIExperiment.TestAttentionComposer", "Composition of L0H0 (writer) into L1H0 (reader)")]
    public async Task TheSeedExamples_RunThroughTheCommand_WithTheBuiltInTools(string script, string experiment, string expected)
    {
        using var dir = new TempFolder();
        var r = await ArrakisProcess.RunAsync(dir.Path, dir.File(".cache"), null,
            "run", Path.Combine(Repo.Scripts, script + ".csx"), "--model", "random-gpt2", "--device", "cpu", "--out", "exps");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(expected, r.Out);
        var run = Assert.Single(new ExperimentStore(dir.File("exps")).ReadRuns(experiment));
        Assert.Equal("ok", run.Status);
        Assert.Equal(script + ".csx", run.SourcePath);
        switch (script)
        {
            case "decomposer":
                double error = double.Parse(System.Text.RegularExpressions.Regex.Match(r.Out, @"reconstruction error ([0-9.eE+-]+) \(relative\)").Groups[1].Value,
                    System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(error <= 1e-4, $"reconstruction error {error}");
                Assert.Contains("MLP 1 basis", r.Out);
                break;
            case "logit":
                var m = System.Text.RegularExpressions.Regex.Match(r.Out, @"logit (-?[0-9.]+) = Σ \d+ components (-?[0-9.]+)");
                Assert.True(m.Success, r.Out);
                Assert.Equal(m.Groups[1].Value, m.Groups[2].Value);
                Assert.Contains("layer  lens logit", r.Out);
                break;
            case "composer":
                Assert.Contains("Path patching L0H0 → L1H0", r.Out);
                Assert.Contains("merged head weights (Arrakis's blend, not a composition measure)", r.Out);
                break;
        }
    }

    [Fact]
    public async Task Attention_OnTheHandBuiltCircuit_DetectsItsHeads_AndAblationCostsOnlyThroughThem()
    {
        using var dir = new TempFolder();
        var r = await ArrakisProcess.RunAsync(dir.Path, dir.File(".cache"), null,
            "run", Path.Combine(Repo.Scripts, "attention.csx"), "--model", "hand-built-induction", "--device", "cpu", "--out", "exps", "--", "8", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Attention tool on hand-built-induction (8 repeated sequences of 2×8 tokens, seed 1)", r.Out);
        Assert.Contains("Head detector (mul, over the query rows each pattern marks):", r.Out);
        Assert.Contains("Mean-ablation of 4 head(s)", r.Out);

        var result = Assert.Single(new ExperimentStore(dir.File("exps")).ReadRuns("attention-heads")).Result!;
        Assert.Equal("L0H0", result["previousTokenHead"]!.GetValue<string>());
        Assert.Equal("L1H0", result["inductionHead"]!.GetValue<string>());
        Assert.True(result["previousTokenScore"]!.GetValue<double>() >= 0.999, r.Out);
        // TransformerLens's default divides by every row, half of which (the first copy) mark nothing.
        Assert.True(result["inductionScoreTl"]!.GetValue<double>() < 0.6 * result["inductionScore"]!.GetValue<double>(), r.Out);
        var ablation = result["ablation"]!.AsObject();
        Assert.True(ablation["L0H0"]!.GetValue<double>() < -1 && ablation["L1H0"]!.GetValue<double>() < -1, r.Out);
        Assert.True(Math.Abs(ablation["L0H1"]!.GetValue<double>()) < 1e-3 && Math.Abs(ablation["L1H1"]!.GetValue<double>()) < 1e-3, r.Out);
    }

    [Fact]
    public async Task Facts_OnTheZooLanguageModel_TracesProbesAndExtracts()
    {
        using var dir = new TempFolder();
        var r = await ArrakisProcess.RunAsync(dir.Path, dir.File(".cache"), null,
            "run", Path.Combine(Repo.Scripts, "facts.csx"), "--model", "gpt2-mini-language", "--device", "cpu", "--out", "exps", "--", "40", "0");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Facts of gpt2-mini-language", r.Out);
        Assert.Contains("Indirect effect of restoring mlp_out", r.Out);
        Assert.Contains("knowledge graph: 160 triples from 160 prompts, precision 1.000, recall 1.000", r.Out);

        var result = Assert.Single(new ExperimentStore(dir.File("exps")).ReadRuns("facts")).Result!;
        Assert.Equal(0, result["mlpPeakLayer"]!.GetValue<int>());
        Assert.True(result["probeSelectivity"]!.GetValue<double>() > 0.5, r.Out);
    }

    [Fact]
    public async Task Lens_OnTheZooLanguageModel_TrainsATunedLens_AndComparesItWithTheLogitLens()
    {
        using var dir = new TempFolder();
        var r = await ArrakisProcess.RunAsync(dir.Path, dir.File(".cache"), null,
            "run", Path.Combine(Repo.Scripts, "lens.csx"), "--model", "gpt2-mini-language", "--device", "cpu", "--out", "exps", "--", "30", "1");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Lenses on gpt2-mini-language", r.Out);
        Assert.Contains("logit lens of sequence 0: top token and its probability per layer", r.Out);
        Assert.Contains("KL(output ‖ lens) per layer", r.Out);
        Assert.True(File.Exists(dir.File(Path.Combine("exps", "lens.safetensors"))), r.Out);

        var result = Assert.Single(new ExperimentStore(dir.File("exps")).ReadRuns("lens")).Result!;
        double Kl(string layer, string lens) => result[layer]![lens]!.GetValue<double>();
        // Even 30 steps move the embeddings' read-out far closer to the output; the last row is the output itself.
        Assert.True(Kl("0_pre", "tuned") < Kl("0_pre", "logit"), r.Out);
        Assert.True(Kl("final_post", "tuned") < 1e-4 && Kl("final_post", "logit") < 1e-4, r.Out);
    }

    [Fact]
    public async Task TheMainJob_RunsThroughTheCommand_AndTheStoreReadsItBack()
    {
        using var dir = new TempFolder();
        string cache = dir.File(".cache");
        var r = await ArrakisProcess.RunAsync(dir.Path, cache, null, "run", Path.Combine(Repo.Scripts, "induction.csx"), "--model", "hand-built-induction", "--device", "cpu", "--out", "exps", "--", "8");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("induction head        L1H0", r.Out);

        var list = await ArrakisProcess.RunAsync(dir.Path, cache, null, "experiments", "list", "--out", "exps", "--json");
        using var json = JsonDocument.Parse(list.Out);
        var row = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("induction-circuit", row.GetProperty("experiment").GetString());
        Assert.Equal(1, row.GetProperty("runs").GetInt32());

        var show = await ArrakisProcess.RunAsync(dir.Path, cache, null, "experiments", "show", "induction-circuit", "--out", "exps", "--json");
        using var shown = JsonDocument.Parse(show.Out);
        var result = shown.RootElement.GetProperty("runs")[0].GetProperty("result");
        Assert.Equal("L0H0", result.GetProperty("previousTokenHead").GetString());

        var missing = await ArrakisProcess.RunAsync(dir.Path, cache, null, "experiments", "show", "nope", "--out", "exps");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Recorded: induction-circuit", missing.Error);
    }
}
