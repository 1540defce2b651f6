using System.Globalization;
using System.Text;
using Arrakis.Hooks;
using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Training.Tasks;

/// <summary>
/// <c>language</c>: documents of sentences from the fixed <see cref="LanguageWorld"/> — indirect-object identification
/// (both name orders), factual recall over invented entities (four relations, 320 facts), greater-than years and filler.
/// </summary>
/// <remarks>
/// A training sequence is <c>&lt;|endoftext|&gt;</c> followed by random sentences until <see cref="SequenceLength"/> tokens
/// (the last one cut off). The loss is ordinary next-token prediction on every position.
/// </remarks>
public sealed class LanguageTask : ITrainingTask, ICircuitReport
{
    /// <summary>The world the task draws from.</summary>
    public LanguageWorld World => LanguageWorld.Default;

    /// <inheritdoc />
    public string Name => "language";

    /// <inheritdoc />
    public string Description =>
        FormattableString.Invariant($"Documents of {SequenceLength} tokens: `<|endoftext|>`, then sentences from the fixed synthetic world ") +
        FormattableString.Invariant($"(`LanguageWorld`, {Tokenizer.VocabSize} word-level tokens) until the context is full. Sentence mix: ") +
        FormattableString.Invariant($"**IOI 30%** ({LanguageWorld.IoiTemplates.Count} templates such as \"When Mary and John went to the store, John gave a drink to Mary.\", ") +
        FormattableString.Invariant($"{World.Names.Count} names, either name order and either name as subject; {World.HeldOutPairs.Count} of the ") +
        FormattableString.Invariant($"{World.HeldOutPairs.Count + World.TrainingPairs.Count} name pairs never appear together in training), ") +
        FormattableString.Invariant($"**facts 35%** ({World.Entities.Count} invented entities × {World.Relations.Count} relations = {World.Facts.Count} facts: ") +
        string.Join(", ", World.Relations.Select(r => FormattableString.Invariant($"\"{r.Template}\" ({r.Answers.Count} values)"))) + "), " +
        "**greater-than 20%** (\"The war lasted from the year 1732 to the year 1789.\": 12 event nouns, centuries 11–18, " +
        "start year YY in 02–97, end year uniform in YY+1…99, years split into two-digit tokens as GPT-2 splits them), " +
        FormattableString.Invariant($"**filler 15%** ({LanguageWorld.FillerTemplates.Count} templates). Loss: next-token cross-entropy at every position. ") +
        "Generated in code, batch of step s from `SeededRandom(seed, s)`.";

    /// <inheritdoc />
    public string Summarize(HookedTransformerConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string family = model.ModelName.StartsWith("gpt2", StringComparison.Ordinal) || model.Normalization == NormalizationType.LayerNorm ? "GPT-2-style " : "";
        return FormattableString.Invariant($"A {model.NLayers}-layer {family}transformer trained on a synthetic word-level language: indirect-object identification, recall of {World.Facts.Count} invented facts, and greater-than years.");
    }

    /// <inheritdoc />
    public WordLevelTokenizer Tokenizer => World.Tokenizer;

    /// <inheritdoc />
    public int SequenceLength => 64;

    /// <inheritdoc />
    public HookedTransformerConfig DefaultModelConfig =>
        HookedAutoConfig.Create("gpt2", vocabSize: Tokenizer.VocabSize, hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 4,
            maxPositionEmbeddings: SequenceLength, tieWordEmbeddings: false) with { ModelName = "gpt2-mini-language" };

    /// <inheritdoc />
    public TrainingOptions DefaultOptions => new()
    {
        Steps = 1500,
        BatchSize = 32,
        LearningRate = 2e-3,
        WarmupSteps = 100,
        WeightDecay = 0.01,
        EvalEvery = 250,
    };

    /// <inheritdoc />
    public Tensor Batch(SeededRandom random, int batchSize)
    {
        int t = SequenceLength;
        var data = new long[batchSize * t];
        for (int b = 0; b < batchSize; b++)
        {
            var row = data.AsSpan(b * t, t);
            int n = 1;  // row[0] = BOS (id 0)
            while (n < t)
            {
                foreach (int id in Tokenizer.EncodeToIds(World.RandomSentence(random)))
                {
                    if (n == t)
                        break;
                    row[n++] = id;
                }
            }
        }
        return tensor(data, [batchSize, t], dtype: int64);
    }

    /// <summary>
    /// IOI top-1 accuracy on 200 held-out-pair prompts (and 200 training-pair prompts), factual recall over all 320 facts,
    /// and greater-than probability mass on valid end years over 200 prompts.
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(HookedTransformer model, long seed)
    {
        var random = new SeededRandom(seed, 0xE7A1);
        var world = World;
        var ioiHeld = Enumerable.Range(0, 200).Select(_ => world.RandomIoiPrompt(random, heldOut: true)).ToList();
        var ioiTrain = Enumerable.Range(0, 200).Select(_ => world.RandomIoiPrompt(random, heldOut: false)).ToList();
        var greater = Enumerable.Range(0, 200).Select(_ => world.RandomGreaterThanPrompt(random)).ToList();
        return new Dictionary<string, double>
        {
            ["ioi_accuracy_held_out"] = PromptScoring.Accuracy(model, Tokenizer, ioiHeld),
            ["ioi_accuracy_train_pairs"] = PromptScoring.Accuracy(model, Tokenizer, ioiTrain),
            ["ioi_logit_diff_held_out"] = PromptScoring.MeanLogitDifference(model, Tokenizer, ioiHeld),
            ["fact_accuracy"] = PromptScoring.Accuracy(model, Tokenizer, world.Facts.Select(f => new LabeledPrompt(f.Prompt, f.Answer)).ToList()),
            ["greater_than_valid_mass"] = PromptScoring.GreaterThanValidMass(model, Tokenizer, greater),
        };
    }

    /// <summary>
    /// IOI: per-head attention from the final token to the indirect object and to the subject, and the logit difference
    /// after zero-ablating each head; facts and greater-than: accuracy per relation and the effect of zero-ablating each MLP.
    /// </summary>
    public string DescribeCircuits(HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inv = CultureInfo.InvariantCulture;
        var world = World;
        var random = new SeededRandom(Trainer.EvalSeed, 0xC2);
        var ioi = Enumerable.Range(0, 200).Select(_ => world.RandomIoiPrompt(random, heldOut: true)).ToList();
        var facts = world.Facts.Select(f => new LabeledPrompt(f.Prompt, f.Answer)).ToList();
        var greater = Enumerable.Range(0, 200).Select(_ => world.RandomGreaterThanPrompt(random)).ToList();
        int layers = model.Cfg.NLayers, heads = model.Cfg.NHeads;
        var sb = new StringBuilder();

        sb.AppendLine("### Indirect-object identification");
        sb.AppendLine();
        double ioiAccuracy = PromptScoring.Accuracy(model, Tokenizer, ioi);
        double logitDiff = PromptScoring.MeanLogitDifference(model, Tokenizer, ioi);
        sb.AppendLine(inv, $"200 prompts over held-out name pairs (`LanguageWorld.RandomIoiPrompt(heldOut: true)`, seed {Trainer.EvalSeed} stream 0xC2): top-1 accuracy **{ioiAccuracy:P1}**, mean logit(IO) − logit(S) **{logitDiff:F2}**.");
        sb.AppendLine();
        var attention = IoiAttention(model, ioi);
        var ablated = new double[layers, heads];
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < heads; h++)
            {
                int head = h;
                var hook = new Hook($"blocks.{l}.attn.hook_z", (z, _) => z.index_fill(2, tensor(new long[] { head }, device: z.device), 0.0));
                ablated[l, h] = PromptScoring.MeanLogitDifference(model, Tokenizer, ioi, [hook]);
            }
        sb.AppendLine("Per head: mean attention from the final token (\"to\") to the indirect object (IO), to the subject's first and second occurrence (S1, S2); from S2 to S1 (duplicate-token behaviour); and the mean logit difference with the head zero-ablated (`hook_z`):");
        sb.AppendLine();
        sb.AppendLine("| head | end → IO | end → S1 | end → S2 | S2 → S1 | logit diff when ablated |");
        sb.AppendLine("|---|---|---|---|---|---|");
        for (int l = 0; l < layers; l++)
            for (int h = 0; h < heads; h++)
                sb.AppendLine(inv, $"| {l}.{h} | {attention[0][l, h]:F3} | {attention[1][l, h]:F3} | {attention[2][l, h]:F3} | {attention[3][l, h]:F3} | {ablated[l, h]:F2} |");
        sb.AppendLine();
        string Head(int i) => $"{i / heads}.{i % heads}";
        var all = Enumerable.Range(0, layers * heads).ToList();
        var movers = all.OrderByDescending(i => attention[0][i / heads, i % heads] - attention[1][i / heads, i % heads]).Take(3)
            .Select(i => string.Create(inv, $"{Head(i)} (IO {attention[0][i / heads, i % heads]:F2} vs S1 {attention[1][i / heads, i % heads]:F2})")).ToList();
        var duplicates = all.OrderByDescending(i => attention[3][i / heads, i % heads]).Take(2)
            .Select(i => string.Create(inv, $"{Head(i)} ({attention[3][i / heads, i % heads]:F2})")).ToList();
        var critical = all.OrderBy(i => ablated[i / heads, i % heads]).Take(3)
            .Select(i => string.Create(inv, $"{Head(i)} ({ablated[i / heads, i % heads]:F2})")).ToList();
        sb.AppendLine(inv, $"Heads whose final-token attention prefers the indirect object over the subject: {string.Join(", ", movers)}. Heads attending from S2 back to S1: {string.Join(", ", duplicates)}. Heads whose ablation lowers the logit difference most (from {logitDiff:F2}): {string.Join(", ", critical)}.");
        sb.AppendLine();

        sb.AppendLine("### Factual recall and greater-than");
        sb.AppendLine();
        sb.AppendLine("| relation | facts | accuracy |");
        sb.AppendLine("|---|---|---|");
        foreach (var relation in world.Relations)
        {
            var subset = world.Facts.Where(f => f.Relation == relation).Select(f => new LabeledPrompt(f.Prompt, f.Answer)).ToList();
            sb.AppendLine(inv, $"| {relation.Name} (\"{relation.Template}\") | {subset.Count} | {PromptScoring.Accuracy(model, Tokenizer, subset):P1} |");
        }
        sb.AppendLine();
        double factAccuracy = PromptScoring.Accuracy(model, Tokenizer, facts);
        double validMass = PromptScoring.GreaterThanValidMass(model, Tokenizer, greater);
        sb.AppendLine(inv, $"All {facts.Count} facts: **{factAccuracy:P1}**. Greater-than, 200 prompts: mean probability on end years above the start year **{validMass:F3}**.");
        sb.AppendLine();
        if (!model.Cfg.AttnOnly)
        {
            sb.AppendLine("Zero-ablating one MLP layer's output (`hook_mlp_out`) at every position:");
            sb.AppendLine();
            sb.AppendLine("| MLP ablated | fact accuracy | greater-than valid mass | IOI accuracy |");
            sb.AppendLine("|---|---|---|---|");
            sb.AppendLine(inv, $"| none | {factAccuracy:P1} | {validMass:F3} | {ioiAccuracy:P1} |");
            for (int l = 0; l < layers; l++)
            {
                var hook = new Hook($"blocks.{l}.hook_mlp_out", (x, _) => zeros_like(x));
                sb.AppendLine(inv, $"| {l} | {PromptScoring.Accuracy(model, Tokenizer, facts, [hook]):P1} | {PromptScoring.GreaterThanValidMass(model, Tokenizer, greater, [hook]):F3} | {PromptScoring.Accuracy(model, Tokenizer, ioi, [hook]):P1} |");
            }
        }
        return sb.ToString();
    }

    /// <summary>[layer, head] mean attention: end → IO, end → S1, end → S2, S2 → S1 (in that order).</summary>
    private double[][,] IoiAttention(HookedTransformer model, IReadOnlyList<LabeledPrompt> prompts)
    {
        int layers = model.Cfg.NLayers, heads = model.Cfg.NHeads;
        var result = Enumerable.Range(0, 4).Select(_ => new double[layers, heads]).ToArray();
        int bos = Tokenizer.Id(LanguageWorld.Bos);
        using var _ = no_grad();
        foreach (var p in prompts)
        {
            using var scope = NewDisposeScope();
            var ids = Tokenizer.EncodeToIds(p.Text).Select(i => (long)i).Prepend(bos).ToArray();
            int io = Array.IndexOf(ids, (long)Tokenizer.Id(p.Answer));
            int s1 = Array.IndexOf(ids, (long)Tokenizer.Id(p.Distractor!));
            int s2 = Array.LastIndexOf(ids, (long)Tokenizer.Id(p.Distractor!));
            int end = ids.Length - 1;
            var (_, cache) = model.RunWithCache(tensor(ids, [1, ids.Length], dtype: int64, device: model.Device), n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
            using (cache)
                for (int l = 0; l < layers; l++)
                {
                    var pattern = cache[$"blocks.{l}.attn.hook_pattern"][0].to(float64);  // [head, query, key]
                    for (int h = 0; h < heads; h++)
                    {
                        result[0][l, h] += pattern[h, end, io].item<double>() / prompts.Count;
                        result[1][l, h] += pattern[h, end, s1].item<double>() / prompts.Count;
                        result[2][l, h] += pattern[h, end, s2].item<double>() / prompts.Count;
                        result[3][l, h] += pattern[h, s2, s1].item<double>() / prompts.Count;
                    }
                }
        }
        return result;
    }
}

/// <summary>Scores the next-token prediction after prompts (BOS prepended; prompts grouped by length, no padding).</summary>
public static class PromptScoring
{
    /// <summary>Log-probabilities of the token after each prompt, float32 [prompts, d_vocab], in prompt order.</summary>
    public static Tensor LastLogProbs(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<string> prompts) =>
        LastLogProbs(model, tokenizer, prompts, null);

    /// <summary>As <see cref="LastLogProbs(HookedTransformer, WordLevelTokenizer, IReadOnlyList{string})"/>, with forward hooks attached (ablations).</summary>
    public static Tensor LastLogProbs(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<string> prompts, IReadOnlyList<Hook>? hooks)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        int bos = tokenizer.Id(LanguageWorld.Bos);
        var encoded = prompts.Select(p => tokenizer.EncodeToIds(p).Select(i => (long)i).Prepend(bos).ToArray()).ToList();
        foreach (var (ids, text) in encoded.Zip(prompts))
            if (ids.Skip(1).Any(i => i == tokenizer.UnknownId))
                throw new ArgumentException($"The prompt '{text}' has words outside the vocabulary.", nameof(prompts));
        var result = zeros(prompts.Count, model.Cfg.DVocab, dtype: float32, device: CPU);  // the scores are returned on the CPU
        using var _ = no_grad();
        foreach (var group in encoded.Select((ids, index) => (ids, index)).GroupBy(x => x.ids.Length))
        {
            using var scope = NewDisposeScope();
            var rows = group.ToList();
            var tokens = tensor(rows.SelectMany(r => r.ids).ToArray(), [rows.Count, group.Key], dtype: int64, device: model.Device);
            var logits = hooks is { Count: > 0 } ? model.RunWithHooks(tokens, hooks) : model.Forward(tokens);
            var last = logits[.., -1].to(float32).log_softmax(-1).cpu();
            result.index_copy_(0, tensor(rows.Select(r => (long)r.index).ToArray(), dtype: int64, device: result.device), last);
        }
        return result;
    }

    /// <summary>Fraction of prompts whose most likely next token (over the whole vocabulary) is the answer.</summary>
    public static double Accuracy(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<LabeledPrompt> prompts, IReadOnlyList<Hook>? hooks = null)
    {
        using var scope = NewDisposeScope();
        var logProbs = LastLogProbs(model, tokenizer, prompts.Select(p => p.Text).ToList(), hooks);
        var answers = tensor(prompts.Select(p => (long)tokenizer.Id(p.Answer)).ToArray(), dtype: int64, device: logProbs.device);
        return logProbs.argmax(-1).eq(answers).to(float32).mean().item<float>();
    }

    /// <summary>Mean of logit(answer) − logit(distractor) (equal to the log-probability difference).</summary>
    public static double MeanLogitDifference(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<LabeledPrompt> prompts, IReadOnlyList<Hook>? hooks = null)
    {
        using var scope = NewDisposeScope();
        var logProbs = LastLogProbs(model, tokenizer, prompts.Select(p => p.Text).ToList(), hooks);
        var answers = tensor(prompts.Select(p => (long)tokenizer.Id(p.Answer)).ToArray(), dtype: int64, device: logProbs.device).unsqueeze(1);
        var distractors = tensor(prompts.Select(p => (long)tokenizer.Id(p.Distractor ?? throw new ArgumentException("A prompt has no distractor."))).ToArray(), dtype: int64, device: logProbs.device).unsqueeze(1);
        return (logProbs.gather(1, answers) - logProbs.gather(1, distractors)).mean().item<float>();
    }

    /// <summary>Mean over prompts of the probability the model puts on two-digit tokens greater than the start year.</summary>
    public static double GreaterThanValidMass(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<GreaterThanPrompt> prompts, IReadOnlyList<Hook>? hooks = null)
    {
        using var scope = NewDisposeScope();
        var probs = LastLogProbs(model, tokenizer, prompts.Select(p => p.Text).ToList(), hooks).exp();
        var yearIds = Enumerable.Range(0, 100).Select(y => (long)tokenizer.Id(y.ToString("D2"))).ToArray();
        var yearProbs = probs.index_select(1, tensor(yearIds, dtype: int64, device: probs.device));  // [prompts, 100]: column y is year y
        var valid = tensor(prompts.SelectMany(p => Enumerable.Range(0, 100).Select(y => y > p.StartYear ? 1f : 0f)).ToArray(), [prompts.Count, 100], device: probs.device);
        return (yearProbs * valid).sum(1).mean().item<float>();
    }
}
