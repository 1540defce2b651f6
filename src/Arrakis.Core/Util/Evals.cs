using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Util;

/// <summary>TransformerLens's <c>evals</c>: quick checks that a model works and does induction.</summary>
public static class Evals
{
    /// <summary>
    /// TL <c>evals.sanity_check</c>: the mean next-token loss (nats) of <paramref name="model"/> on a fixed text — a model
    /// that works scores well below ln(d_vocab), the loss of uniform guessing.
    /// </summary>
    /// <param name="text">The text; by default a sentence of ordinary English (TL uses the first paragraph of "Zoom In").</param>
    public static double SanityCheck(HookedTransformer model, string? text = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        text ??= "Hello world, this is a short test of whether the model predicts ordinary text better than chance.";
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = model.ToTokens(text);
        if (tokens.shape[1] < 2)
            throw new ArgumentException($"text tokenizes to {tokens.shape[1]} token; expected at least 2 to have a next token to predict.", nameof(text));
        return -PathPatching.NextTokenLogProb(model.Forward(tokens), tokens).mean().item<float>();
    }

    /// <summary>
    /// TL <c>evals.induction_loss</c>: sequences of BOS + <paramref name="subseqLen"/> uniformly random tokens repeated
    /// once, and the mean next-token loss (nats) over the second copy — low for a model with induction heads, about
    /// ln(d_vocab) for one without (the first copy is unpredictable either way).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="batchSize">Sequences (default 4, as TL).</param>
    /// <param name="subseqLen">Random tokens per copy; default TL's 384, capped so 1 + 2·len fits n_ctx.</param>
    /// <param name="seed">Seed of the random tokens.</param>
    /// <param name="bosToken">The first token; default the tokenizer's BOS id, or 0.</param>
    public static double InductionLoss(HookedTransformer model, int batchSize = 4, int subseqLen = 384, long seed = 0, long? bosToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize is {batchSize}; expected at least 1.");
        if (subseqLen < 1) throw new ArgumentOutOfRangeException(nameof(subseqLen), subseqLen, $"subseqLen is {subseqLen}; expected at least 1.");
        int length = Math.Min(subseqLen, (model.Cfg.NCtx - 1) / 2);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var random = randint(0, model.Cfg.DVocab, [batchSize, length], dtype: int64, device: CPU, generator: new Generator((ulong)seed, device: CPU)).to(model.Device);
        long bos = bosToken ?? model.Tokenizer?.BosTokenId ?? 0;
        var tokens = cat([full(batchSize, 1, bos, dtype: int64, device: model.Device), random, random], 1);   // [batch, 1 + 2L]
        var logProbs = model.Forward(tokens)[.., ..^1].log_softmax(-1).gather(-1, tokens[.., 1..].unsqueeze(-1)).squeeze(-1);   // [batch, 2L]
        // Index i predicts token i + 1: the second copy's tokens 2 … L are predicted at indices L + 1 … 2L − 1 (its first
        // token, at index L, cannot be inferred from the first copy).
        return -logProbs[.., (length + 1)..].mean().item<float>();
    }

    /// <summary>The default IOI names (single tokens in GPT-2's and the zoo language model's vocabularies).</summary>
    public static readonly IReadOnlyList<string> IoiNames = ["Mary", "John", "Alice", "Bob", "Emma", "James", "Anna", "David"];

    /// <summary>The default IOI templates: {IO} and {S} are the names; the answer is the indirect object, IO.</summary>
    public static readonly IReadOnlyList<string> IoiTemplates =
    [
        "When {IO} and {S} went to the store, {S} gave a drink to",
        "When {IO} and {S} went to the park, {S} gave a ball to",
    ];

    /// <summary>
    /// TL <c>evals.ioi_eval</c>: on every template and every ordered pair of distinct names (IO, S), the logit difference
    /// logit(IO) − logit(S) at the prompt's last position, and the share of prompts where it is positive. Names are fed
    /// with a leading space (" Mary") when that is one token, as GPT-2 tokenizes them, else as they are.
    /// </summary>
    /// <returns>(mean logit difference, accuracy) over the prompts.</returns>
    /// <exception cref="ArgumentException">Fewer than two names, or a name that is not a single token.</exception>
    public static (double LogitDifference, double Accuracy) IoiEval(HookedTransformer model, IReadOnlyList<string>? names = null, IReadOnlyList<string>? templates = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        names ??= IoiNames;
        templates ??= IoiTemplates;
        if (names.Count < 2)
            throw new ArgumentException($"names has {names.Count} name(s); expected at least 2 to form (IO, S) pairs.", nameof(names));
        long Token(string name)
        {
            try { return model.ToSingleToken(" " + name); }
            catch (ArgumentException) { }
            try { return model.ToSingleToken(name); }
            catch (ArgumentException e) { throw new ArgumentException($"names holds '{name}', which is not a single token of this tokenizer: {e.Message}", nameof(names), e); }
        }
        var ids = names.ToDictionary(n => n, Token);
        var prompts = (from template in templates from io in names from s in names where io != s
                       select (Text: template.Replace("{IO}", io).Replace("{S}", s), Io: ids[io], S: ids[s])).ToList();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double total = 0;
        int correct = 0;
        foreach (var group in prompts.GroupBy(p => model.ToTokens(p.Text).shape[1]))   // equal lengths batch without padding
        {
            var batch = group.ToList();
            var tokens = model.ToTokens(batch.Select(p => p.Text).ToList());
            var last = model.Forward(tokens)[.., -1];                                        // [batch, d_vocab]
            for (int i = 0; i < batch.Count; i++)
            {
                double difference = (last[i, batch[i].Io] - last[i, batch[i].S]).item<float>();
                total += difference;
                if (difference > 0) correct++;
            }
        }
        return (total / prompts.Count, (double)correct / prompts.Count);
    }
}
