using System.Globalization;
using System.Text;
using Arrakis.Hooks;
using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Training.Tasks;

/// <summary>
/// <c>induction</c>: random-token sequences in which a span repeats, the setting in which two-layer attention-only models
/// form induction heads (A Mathematical Framework for Transformer Circuits; In-context Learning and Induction Heads).
/// </summary>
/// <remarks>
/// <para>Each training sequence is <c>&lt;|endoftext|&gt;</c> followed by <see cref="SequenceLength"/>−1 words drawn uniformly
/// from the <see cref="WordCount"/> ordinary words. With probability <see cref="RepeatProbability"/> (default 0.85) a span
/// of length L ∈ [<see cref="MinSpan"/>, <see cref="MaxSpan"/>] (default 8–31) starting at a random position is repeated:
/// copied once, or (<see cref="RepeatUntilEnd"/>, the default) over and over until the sequence ends
/// (…, x₁…x_L, x₁…x_L, x₁…); the other sequences do not repeat. L and the start vary, so the copy can only be predicted
/// by content (find the earlier occurrence of the current word, predict what followed it), not by a fixed positional
/// offset — which a one-layer model could learn.</para>
/// <para>Why these defaults (measured with 2-layer, d_model 64 models, 32×64-token batches, lr 1e-3–2e-3): with one copy
/// in half the sequences — a random half and its copy — no induction head had formed after 3,000 steps in any of eight
/// variants (layer norm or none, d_model 64 or 128, sinusoidal position init, a skip-bigram curriculum that did grow
/// previous-token heads); with most sequences repeating until the end, induction heads formed within 1,000–2,000
/// steps. Most tokens then reward the circuit, instead of one in seven.</para>
/// <para>The vocabulary is <c>&lt;|endoftext|&gt;</c> (0), <c>&lt;unk&gt;</c> (1) and 298 pronounceable pseudo-words
/// (<c>bako</c>, <c>tesu</c>, …), so prompts read as text and every word is one token.</para>
/// </remarks>
public sealed class InductionTask : ITrainingTask, ICircuitReport
{
    /// <summary>A task whose sequences contain a repeated span with probability <paramref name="repeatProbability"/>.</summary>
    /// <param name="repeatProbability">Share of sequences with a repeated span.</param>
    /// <param name="sequenceLength">Tokens per sequence, BOS included.</param>
    /// <param name="minSpan">Shortest repeated span.</param>
    /// <param name="maxSpan">Longest repeated span (at most (sequenceLength − 1) / 2).</param>
    public InductionTask(double repeatProbability = DefaultRepeatProbability, int sequenceLength = 64, int minSpan = 8, int maxSpan = 31)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeatProbability, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(repeatProbability, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(minSpan, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSpan, minSpan);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSpan, (sequenceLength - 1) / 2);
        RepeatProbability = repeatProbability;
        SequenceLength = sequenceLength;
        MinSpan = minSpan;
        MaxSpan = maxSpan;
    }

    /// <summary>The default share of sequences with a repeated span.</summary>
    public const double DefaultRepeatProbability = 0.85;

    /// <summary>The share of sequences with a repeated span.</summary>
    public double RepeatProbability { get; }

    /// <summary>Total vocabulary size (BOS, unknown and the ordinary words).</summary>
    public const int VocabSize = 300;

    /// <summary>Ordinary (sampled) words: ids 2 … 299.</summary>
    public const int WordCount = VocabSize - FirstWordId;

    /// <summary>The id of the first ordinary word.</summary>
    public const int FirstWordId = 2;

    /// <summary>Whether a repeated span keeps repeating until the end of the sequence (else it is copied once).</summary>
    public bool RepeatUntilEnd { get; init; } = true;

    /// <summary>Shortest repeated span.</summary>
    public int MinSpan { get; }

    /// <summary>Longest repeated span.</summary>
    public int MaxSpan { get; }

    /// <summary>The BOS token.</summary>
    public const string Bos = "<|endoftext|>";

    private static readonly Lazy<WordLevelTokenizer> SharedTokenizer = new(BuildTokenizer);

    /// <inheritdoc />
    public string Name => "induction";

    /// <inheritdoc />
    public string Description =>
        FormattableString.Invariant($"Sequences of {SequenceLength} tokens: `<|endoftext|>`, then words drawn uniformly from {WordCount} pseudo-words. ") +
        FormattableString.Invariant($"In {RepeatProbability:P0} of the sequences a span of {MinSpan}–{MaxSpan} words starting at a random position ") +
        (RepeatUntilEnd ? "repeats until the sequence ends (…, x₁…x_L, x₁…x_L, x₁…)" : "is copied once right after itself") +
        "; the others do not repeat. Span length and start vary, so only content — the token after the earlier occurrence " +
        "of the current word — predicts the copy. Loss: next-token cross-entropy at every position. Generated in code " +
        "(`InductionTask`), batch b of step s from `SeededRandom(seed, s)`.";

    /// <inheritdoc />
    public string Summarize(HookedTransformerConfig model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string kind = model.AttnOnly ? "attention-only transformer" : "transformer";
        return model.NLayers >= 2
            ? FormattableString.Invariant($"A {model.NLayers}-layer {kind} trained on random words with repeated spans; it predicts the repeats with induction heads that K-compose with a previous-token head.")
            : FormattableString.Invariant($"A {model.NLayers}-layer {kind} trained on random words with repeated spans: the control, since one layer cannot form induction heads.");
    }

    /// <inheritdoc />
    public WordLevelTokenizer Tokenizer => SharedTokenizer.Value;

    /// <inheritdoc />
    public int SequenceLength { get; }

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
        Steps = 2500,
        BatchSize = 64,
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
            row[0] = 0;
            for (int i = 1; i < t; i++)
                row[i] = RandomWord(random);
            if (random.NextDouble() < RepeatProbability)
            {
                int span = random.Next(MinSpan, MaxSpan + 1);
                int start = random.Next(1, t - 2 * span + 1);
                int end = RepeatUntilEnd ? t : start + 2 * span;
                for (int i = start + span; i < end; i++)
                    row[i] = row[i - span];
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

    /// <summary>The half length of the evaluation probe: 20, or less when the sequences are shorter.</summary>
    public int ProbeHalfLength => Math.Min(20, (SequenceLength - 1) / 2);

    /// <summary>
    /// Metrics on 200 repeated sequences with half length <see cref="ProbeHalfLength"/>: accuracy and loss of the predictions made inside the second
    /// copy (targets 2 … L of the copy), the loss in the first half, and the best induction and previous-token scores
    /// (<see cref="InductionProbe"/>).
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(HookedTransformer model, long seed)
    {
        using var scope = NewDisposeScope();
        int half = ProbeHalfLength;
        using var tokens = RepeatedSequences(new SeededRandom(seed, 0x1D), 200, half);
        var probe = InductionProbe.Measure(model, tokens, half);
        return new Dictionary<string, double>
        {
            ["repeated_accuracy"] = probe.RepeatedAccuracy,
            ["repeated_loss"] = probe.RepeatedLoss,
            ["first_half_loss"] = probe.FirstHalfLoss,
            ["best_induction_score"] = probe.BestInductionScore,
            ["best_prev_token_score"] = probe.BestPrevTokenScore,
        };
    }

    /// <summary>
    /// Per-head induction and previous-token scores, the K-composition of every layer-0 head into the best induction head,
    /// and what zero-ablating the key heads does to the repeated-half accuracy.
    /// </summary>
    public string DescribeCircuits(HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inv = CultureInfo.InvariantCulture;
        int half = ProbeHalfLength;
        using var scope = NewDisposeScope();
        var tokens = RepeatedSequences(new SeededRandom(Trainer.EvalSeed, 0xC1), 200, half);
        var probe = InductionProbe.Measure(model, tokens, half);
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Measured on 200 fresh sequences of <|endoftext|> + {half} random words + the same {half} words (`InductionTask.RepeatedSequences`, seed {Trainer.EvalSeed} stream 0xC1).");
        sb.AppendLine();
        sb.AppendLine(inv, $"Repeated-half next-token accuracy **{probe.RepeatedAccuracy:P1}**, loss {probe.RepeatedLoss:F3} (first half: {probe.FirstHalfLoss:F3}; uniform guessing: {Math.Log(WordCount):F3}).");
        sb.AppendLine();
        sb.AppendLine("Induction score: mean attention from each second-copy token to the token after its first occurrence. Previous-token score: mean attention to the position before.");
        sb.AppendLine();
        sb.AppendLine("| head | induction score | previous-token score |");
        sb.AppendLine("|---|---|---|");
        for (int l = 0; l < model.Cfg.NLayers; l++)
            for (int h = 0; h < model.Cfg.NHeads; h++)
                sb.AppendLine(inv, $"| {l}.{h} | {probe.InductionScores[l][h]:F3} | {probe.PrevTokenScores[l][h]:F3} |");
        sb.AppendLine();
        if (model.Cfg.NLayers < 2)
        {
            sb.AppendLine("With one layer there is no earlier head to shift the previous token into the keys, so no head can attend *by content* to the token after an earlier occurrence: the model can only boost tokens it has seen (a skip-trigram), which is why its repeated-half loss stays far above the two-layer model's.");
            return sb.ToString();
        }

        var (il, ih) = ArgMax(probe.InductionScores, fromLayer: 1);
        var (pl, ph) = ArgMax(probe.PrevTokenScores, fromLayer: 0, toLayer: 0);
        var kComposition = KComposition(model, il, ih);
        sb.AppendLine(inv, $"**Induction head {il}.{ih}** (score {probe.InductionScores[il][ih]:F3}); **previous-token head {pl}.{ph}** (score {probe.PrevTokenScores[pl][ph]:F3}).");
        sb.AppendLine();
        sb.AppendLine(inv, $"K-composition into {il}.{ih} of each layer-0 head, ‖W_QK·W_OVᵀ‖_F / (‖W_QK‖_F‖W_OV‖_F) with W_QK = W_Q W_Kᵀ of the reader and W_OV = W_V W_O of the writer (layer-norm weights folded in and reading weights centred, as TransformerLens's fold_ln; random {model.Cfg.DModel}×{model.Cfg.DModel} matrices score about {1 / Math.Sqrt(model.Cfg.DModel):F3}):");
        sb.AppendLine();
        sb.AppendLine("| writer head | K-composition |");
        sb.AppendLine("|---|---|");
        for (int h = 0; h < kComposition.Length; h++)
            sb.AppendLine(inv, $"| 0.{h} | {kComposition[h]:F3} |");
        sb.AppendLine();

        double baseline = probe.RepeatedAccuracy;
        double withoutPrev = AblatedAccuracy(model, tokens, half, pl, [ph]);
        var inductionHeads = Enumerable.Range(0, model.Cfg.NHeads).Where(h => probe.InductionScores[il][h] >= 0.5).ToArray();
        double withoutInduction = AblatedAccuracy(model, tokens, half, il, inductionHeads);
        double withoutOne = AblatedAccuracy(model, tokens, half, il, [ih]);
        sb.AppendLine(inv, $"Zero-ablating (`hook_z`) the previous-token head {pl}.{ph} drops the repeated-half accuracy from {baseline:P1} to {withoutPrev:P1}; ablating the induction head {il}.{ih} alone leaves {withoutOne:P1}, and ablating every layer-{il} head with induction score ≥ 0.5 ({string.Join(", ", inductionHeads.Select(h => $"{il}.{h}"))}) leaves {withoutInduction:P1}.");
        return sb.ToString();
    }

    /// <summary>
    /// K-composition of each layer-0 head into head <paramref name="readerHead"/> of layer <paramref name="readerLayer"/>:
    /// ‖W_QK·W_OVᵀ‖_F / (‖W_QK‖_F ‖W_OV‖_F), W_QK = W_Q W_Kᵀ (reader), W_OV = W_V W_O (writer), with layer-norm weights
    /// folded into the reading weights and those centred (TransformerLens fold_ln).
    /// </summary>
    public static double[] KComposition(HookedTransformer model, int readerLayer, int readerHead)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var reader = model.blocks[readerLayer];
        var wq = Fold(reader.attn.W_Q[readerHead], reader.ln1.w, model.Cfg);
        var wk = Fold(reader.attn.W_K[readerHead], reader.ln1.w, model.Cfg);
        var qk = wq.matmul(wk.t());  // [d_model, d_model]
        var writer = model.blocks[0];
        var scores = new double[model.Cfg.NHeads];
        for (int h = 0; h < scores.Length; h++)
        {
            var ov = Fold(writer.attn.W_V[h], writer.ln1.w, model.Cfg).matmul(writer.attn.W_O[h].detach().to(float64));  // [d_model, d_model]
            scores[h] = (qk.matmul(ov.t()).norm() / (qk.norm() * ov.norm())).item<double>();
        }
        return scores;
    }

    private static Tensor Fold(Tensor w, Tensor? lnWeight, HookedTransformerConfig cfg)
    {
        var x = w.detach().to(float64);  // [d_model, d_head]
        if (lnWeight is not null)
            x = x * lnWeight.detach().to(float64).unsqueeze(1);
        if (cfg.NormCenters)
            x = x - x.mean([0], keepdim: true);
        return x;
    }

    private static double AblatedAccuracy(HookedTransformer model, Tensor tokens, int half, int layer, int[] heads)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var hook = new Hook($"blocks.{layer}.attn.hook_z", (z, _) => z.index_fill(2, tensor(heads.Select(h => (long)h).ToArray(), device: z.device), 0.0));
        var logits = model.RunWithHooks(tokens, [hook]);
        var predictions = logits[.., (half + 1)..(2 * half)].argmax(-1);
        return predictions.eq(tokens[.., (half + 2)..]).to(float32).mean().item<float>();
    }

    private static (int Layer, int Head) ArgMax(double[][] scores, int fromLayer, int toLayer = int.MaxValue)
    {
        (int, int) best = (fromLayer, 0);
        double value = double.NegativeInfinity;
        int end = toLayer >= scores.Length - 1 ? scores.Length : toLayer + 1;
        for (int l = fromLayer; l < end; l++)
            for (int h = 0; h < scores[l].Length; h++)
                if (scores[l][h] > value)
                    (value, best) = (scores[l][h], (l, h));
        return best;
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
            var queries = arange(l + 1, 2 * l + 1, dtype: int64, device: model.Device);  // copy tokens
            var inductionKeys = queries - l + 1;                       // the token after the earlier occurrence
            var prevQueries = arange(1, 2 * l + 1, dtype: int64, device: model.Device);
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
