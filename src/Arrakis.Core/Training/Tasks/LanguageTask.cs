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
public sealed class LanguageTask : ITrainingTask
{
    /// <summary>The world the task draws from.</summary>
    public LanguageWorld World => LanguageWorld.Default;

    /// <inheritdoc />
    public string Name => "language";

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
        Steps = 2000,
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
}

/// <summary>Scores the next-token prediction after prompts (BOS prepended; prompts grouped by length, no padding).</summary>
public static class PromptScoring
{
    /// <summary>Log-probabilities of the token after each prompt, float32 [prompts, d_vocab], in prompt order.</summary>
    public static Tensor LastLogProbs(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        int bos = tokenizer.Id(LanguageWorld.Bos);
        var encoded = prompts.Select(p => tokenizer.EncodeToIds(p).Select(i => (long)i).Prepend(bos).ToArray()).ToList();
        foreach (var (ids, text) in encoded.Zip(prompts))
            if (ids.Skip(1).Any(i => i == tokenizer.UnknownId))
                throw new ArgumentException($"The prompt '{text}' has words outside the vocabulary.", nameof(prompts));
        var result = zeros(prompts.Count, model.Cfg.DVocab, dtype: float32);
        using var _ = no_grad();
        foreach (var group in encoded.Select((ids, index) => (ids, index)).GroupBy(x => x.ids.Length))
        {
            using var scope = NewDisposeScope();
            var rows = group.ToList();
            var tokens = tensor(rows.SelectMany(r => r.ids).ToArray(), [rows.Count, group.Key], dtype: int64).to(model.Device);
            var last = model.Forward(tokens)[.., -1].to(float32).log_softmax(-1).cpu();
            result.index_copy_(0, tensor(rows.Select(r => (long)r.index).ToArray(), dtype: int64), last);
        }
        return result;
    }

    /// <summary>Fraction of prompts whose most likely next token (over the whole vocabulary) is the answer.</summary>
    public static double Accuracy(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<LabeledPrompt> prompts)
    {
        using var scope = NewDisposeScope();
        var logProbs = LastLogProbs(model, tokenizer, prompts.Select(p => p.Text).ToList());
        var answers = tensor(prompts.Select(p => (long)tokenizer.Id(p.Answer)).ToArray(), dtype: int64);
        return logProbs.argmax(-1).eq(answers).to(float32).mean().item<float>();
    }

    /// <summary>Mean of logit(answer) − logit(distractor) (equal to the log-probability difference).</summary>
    public static double MeanLogitDifference(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<LabeledPrompt> prompts)
    {
        using var scope = NewDisposeScope();
        var logProbs = LastLogProbs(model, tokenizer, prompts.Select(p => p.Text).ToList());
        var answers = tensor(prompts.Select(p => (long)tokenizer.Id(p.Answer)).ToArray(), dtype: int64).unsqueeze(1);
        var distractors = tensor(prompts.Select(p => (long)tokenizer.Id(p.Distractor ?? throw new ArgumentException("A prompt has no distractor."))).ToArray(), dtype: int64).unsqueeze(1);
        return (logProbs.gather(1, answers) - logProbs.gather(1, distractors)).mean().item<float>();
    }

    /// <summary>Mean over prompts of the probability the model puts on two-digit tokens greater than the start year.</summary>
    public static double GreaterThanValidMass(HookedTransformer model, WordLevelTokenizer tokenizer, IReadOnlyList<GreaterThanPrompt> prompts)
    {
        using var scope = NewDisposeScope();
        var probs = LastLogProbs(model, tokenizer, prompts.Select(p => p.Text).ToList()).exp();
        var yearIds = Enumerable.Range(0, 100).Select(y => (long)tokenizer.Id(y.ToString("D2"))).ToArray();
        var yearProbs = probs.index_select(1, tensor(yearIds, dtype: int64));  // [prompts, 100]: column y is year y
        var valid = tensor(prompts.SelectMany(p => Enumerable.Range(0, 100).Select(y => y > p.StartYear ? 1f : 0f)).ToArray(), [prompts.Count, 100]);
        return (yearProbs * valid).sum(1).mean().item<float>();
    }
}
