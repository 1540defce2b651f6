using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Training.Tasks;

/// <summary>
/// <c>induction</c>: random-token sequences in which a span repeats, the setting in which two-layer attention-only models
/// form induction heads (A Mathematical Framework for Transformer Circuits; In-context Learning and Induction Heads).
/// </summary>
/// <remarks>
/// <para>Each training sequence is <c>&lt;|endoftext|&gt;</c> followed by <see cref="SequenceLength"/>−1 tokens drawn uniformly
/// from the <see cref="WordCount"/> ordinary words. With probability ½ a span of length L ∈ [<see cref="MinSpan"/>,
/// <see cref="MaxSpan"/>] starting at a random position is immediately repeated (…, x₁…x_L, x₁…x_L, …); otherwise nothing
/// is planted. L and the start vary, so the only way to predict the copy is by content (find the earlier occurrence of the
/// current token, predict what followed it), not by a fixed positional offset — which a one-layer model could learn.</para>
/// <para>The vocabulary is <c>&lt;|endoftext|&gt;</c> (0), <c>&lt;unk&gt;</c> (1) and 298 pronounceable pseudo-words
/// (<c>bako</c>, <c>tesu</c>, …), so prompts read as text and every word is one token.</para>
/// </remarks>
public sealed class InductionTask : ITrainingTask
{
    /// <summary>A task whose sequences contain a repeated span with probability <paramref name="repeatProbability"/>.</summary>
    public InductionTask(double repeatProbability = DefaultRepeatProbability)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeatProbability, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(repeatProbability, 1.0);
        RepeatProbability = repeatProbability;
    }

    /// <summary>The default share of sequences with a repeated span.</summary>
    public const double DefaultRepeatProbability = 0.5;

    /// <summary>The share of sequences with a repeated span.</summary>
    public double RepeatProbability { get; }

    /// <summary>Total vocabulary size (BOS, unknown and the ordinary words).</summary>
    public const int VocabSize = 300;

    /// <summary>Ordinary (sampled) words: ids 2 … 299.</summary>
    public const int WordCount = VocabSize - FirstWordId;

    /// <summary>The id of the first ordinary word.</summary>
    public const int FirstWordId = 2;

    /// <summary>Shortest repeated span.</summary>
    public const int MinSpan = 4;

    /// <summary>Longest repeated span.</summary>
    public const int MaxSpan = 31;

    /// <summary>The BOS token.</summary>
    public const string Bos = "<|endoftext|>";

    private static readonly Lazy<WordLevelTokenizer> SharedTokenizer = new(BuildTokenizer);

    /// <inheritdoc />
    public string Name => "induction";

    /// <inheritdoc />
    public WordLevelTokenizer Tokenizer => SharedTokenizer.Value;

    /// <inheritdoc />
    public int SequenceLength => 64;

    /// <inheritdoc />
    public HookedTransformerConfig DefaultModelConfig => new()
    {
        NLayers = 2,
        DModel = 64,
        NHeads = 4,
        DHead = 16,
        DVocab = VocabSize,
        NCtx = SequenceLength,
        AttnOnly = true,
        Normalization = NormalizationType.LayerNorm,
        PositionalEmbedding = PositionalEmbeddingType.Learned,
        ModelName = "attn-only-2l",
    };

    /// <inheritdoc />
    public TrainingOptions DefaultOptions => new()
    {
        Steps = 3000,
        BatchSize = 32,
        LearningRate = 1e-3,
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
            row[0] = 0;
            for (int i = 1; i < t; i++)
                row[i] = RandomWord(random);
            if (random.NextDouble() < RepeatProbability)
            {
                int span = random.Next(MinSpan, MaxSpan + 1);
                int start = random.Next(1, t - 2 * span + 1);
                for (int i = 0; i < span; i++)
                    row[start + span + i] = row[start + i];
            }
        }
        return tensor(data, [batchSize, t], dtype: int64);
    }

    /// <summary>
    /// The standard induction probe (TransformerLens <c>generate_repeated_tokens</c>): BOS, then <paramref name="halfLength"/>
    /// random words, then the same words again. int64 [<paramref name="batchSize"/>, 1 + 2·<paramref name="halfLength"/>].
    /// </summary>
    public static Tensor RepeatedSequences(SeededRandom random, int batchSize, int halfLength)
    {
        int t = 1 + 2 * halfLength;
        var data = new long[batchSize * t];
        for (int b = 0; b < batchSize; b++)
        {
            var row = data.AsSpan(b * t, t);
            for (int i = 1; i <= halfLength; i++)
                row[i] = row[i + halfLength] = RandomWord(random);
        }
        return tensor(data, [batchSize, t], dtype: int64);
    }

    private static long RandomWord(SeededRandom random) => FirstWordId + random.Next(WordCount);

    /// <summary>
    /// Metrics on 200 repeated sequences with half length 20: accuracy and loss of the predictions made inside the second
    /// copy (targets 2 … L of the copy), the loss in the first half, and the best induction and previous-token scores
    /// (<see cref="InductionProbe"/>).
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(HookedTransformer model, long seed)
    {
        using var scope = NewDisposeScope();
        using var tokens = RepeatedSequences(new SeededRandom(seed, 0x1D), 200, 20);
        var probe = InductionProbe.Measure(model, tokens, 20);
        return new Dictionary<string, double>
        {
            ["repeated_accuracy"] = probe.RepeatedAccuracy,
            ["repeated_loss"] = probe.RepeatedLoss,
            ["first_half_loss"] = probe.FirstHalfLoss,
            ["best_induction_score"] = probe.BestInductionScore,
            ["best_prev_token_score"] = probe.BestPrevTokenScore,
        };
    }

    private static WordLevelTokenizer BuildTokenizer()
    {
        const string consonants = "bdfgklmnprstvz";
        const string vowels = "aeiou";
        var syllables = (from c in consonants from v in vowels select $"{c}{v}").ToList();
        var words = (from a in syllables from b in syllables select a + b).ToList();
        new SeededRandom(2024).Shuffle(words);
        var tokens = new List<string> { Bos, "<unk>" };
        tokens.AddRange(words.Take(WordCount));
        return WordLevelTokenizer.Create(tokens, "<unk>", [Bos]);
    }
}

/// <summary>Induction measurements on repeated sequences (BOS + L tokens + the same L tokens).</summary>
/// <param name="RepeatedAccuracy">Top-1 accuracy of the predictions made at copy positions 1 … L−1 (targets 2 … L of the copy).</param>
/// <param name="RepeatedLoss">Mean cross-entropy of those predictions.</param>
/// <param name="FirstHalfLoss">Mean cross-entropy of the predictions inside the first (random) half.</param>
/// <param name="InductionScores">[layer][head]: mean attention from each copy token to the token after its earlier occurrence.</param>
/// <param name="PrevTokenScores">[layer][head]: mean attention from each position ≥ 1 to the position before it.</param>
public sealed record InductionProbe(double RepeatedAccuracy, double RepeatedLoss, double FirstHalfLoss,
    double[][] InductionScores, double[][] PrevTokenScores)
{
    /// <summary>The largest induction score over all heads.</summary>
    public double BestInductionScore => InductionScores.SelectMany(x => x).Max();

    /// <summary>The largest previous-token score over all heads.</summary>
    public double BestPrevTokenScore => PrevTokenScores.SelectMany(x => x).Max();

    /// <summary>Runs <paramref name="model"/> on <paramref name="tokens"/> [batch, 1 + 2L] and measures.</summary>
    public static InductionProbe Measure(HookedTransformer model, Tensor tokens, int halfLength)
    {
        int l = halfLength;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (logits, cache) = model.RunWithCache(tokens, name => name.EndsWith("hook_pattern", StringComparison.Ordinal));
        using (cache)
        {
            var logProbs = logits[.., ..^1].log_softmax(-1);
            var targets = tokens[.., 1..];
            var losses = -logProbs.gather(-1, targets.unsqueeze(-1)).squeeze(-1);  // [batch, 2L]; index p predicts token p+1
            var correct = logProbs.argmax(-1).eq(targets).to(float32);
            // Predictions made at copy positions L+1 … 2L−1 predict tokens L+2 … 2L (copy tokens 2 … L).
            var repeated = (l + 1)..(2 * l);
            double accuracy = correct[.., repeated].mean().item<float>();
            double repeatedLoss = losses[.., repeated].mean().item<float>();
            double firstLoss = losses[.., 1..l].mean().item<float>();

            var induction = new double[model.Cfg.NLayers][];
            var prev = new double[model.Cfg.NLayers][];
            var queries = arange(l + 1, 2 * l + 1, dtype: int64);  // copy tokens
            var inductionKeys = queries - l + 1;                       // the token after the earlier occurrence
            var prevQueries = arange(1, 2 * l + 1, dtype: int64);
            for (int layer = 0; layer < model.Cfg.NLayers; layer++)
            {
                var pattern = cache[$"blocks.{layer}.attn.hook_pattern"];  // [batch, head, query, key]
                var ind = pattern.index(TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Tensor(queries), TensorIndex.Tensor(inductionKeys));
                var pr = pattern.index(TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Tensor(prevQueries), TensorIndex.Tensor(prevQueries - 1));
                induction[layer] = ind.mean([0, 2]).to(float64).data<double>().ToArray();
                prev[layer] = pr.mean([0, 2]).to(float64).data<double>().ToArray();
            }
            return new InductionProbe(accuracy, repeatedLoss, firstLoss, induction, prev);
        }
    }
}
