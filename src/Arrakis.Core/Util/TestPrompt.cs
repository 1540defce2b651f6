using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Util;

/// <summary>One candidate next token under the model: its rank, logit and probability.</summary>
public sealed record TokenPrediction(int Rank, long Token, string Text, double Logit, double Probability);

/// <summary>What <see cref="TestPrompt.Run"/> measured: for each answer token, its rank, logit and probability, and the top alternatives.</summary>
/// <param name="PromptTokens">The prompt as string tokens.</param>
/// <param name="Answers">Per answer token, where it ranks at its position (given the prompt and the answer tokens before it).</param>
/// <param name="TopK">Per answer token, the model's top-k predictions at that position.</param>
public sealed record TestPromptResult(IReadOnlyList<string> PromptTokens, IReadOnlyList<TokenPrediction> Answers, IReadOnlyList<IReadOnlyList<TokenPrediction>> TopK)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine($"Tokenized prompt: [{string.Join(", ", PromptTokens.Select(t => $"'{t}'"))}]");
        text.AppendLine($"Tokenized answer: [{string.Join(", ", Answers.Select(a => $"'{a.Text}'"))}]");
        for (int i = 0; i < Answers.Count; i++)
        {
            var a = Answers[i];
            text.AppendLine(inv, $"Performance on answer token '{a.Text}': rank {a.Rank}, logit {a.Logit:F2}, prob {a.Probability:P2}");
            foreach (var p in TopK[i])
                text.AppendLine(inv, $"  top {p.Rank}: logit {p.Logit:F2}, prob {p.Probability:P2}, token '{p.Text}'");
        }
        text.AppendLine($"Ranks of the answer tokens: [{string.Join(", ", Answers.Select(a => $"('{a.Text}', {a.Rank})"))}]");
        return text.ToString();
    }
}

/// <summary>TransformerLens's <c>utils.test_prompt</c>: how a model ranks an answer after a prompt.</summary>
public static class TestPrompt
{
    /// <summary>
    /// Runs prompt + answer through <paramref name="model"/> and, for each answer token, reports its rank (0 = top),
    /// logit and probability at the position that predicts it, with the top <paramref name="topK"/> alternatives; prints
    /// the report to <paramref name="output"/> when given (TL prints it).
    /// </summary>
    /// <param name="prependSpaceToAnswer">Put a space before the answer (TL's default, for GPT-2-style tokenizers).</param>
    /// <exception cref="ArgumentException">An empty answer.</exception>
    public static TestPromptResult Run(string prompt, string answer, HookedTransformer model, bool prependSpaceToAnswer = true, int topK = 10,
        bool? prependBos = null, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(model);
        if (string.IsNullOrEmpty(answer))
            throw new ArgumentException("answer is empty; expected the text the model should continue the prompt with.", nameof(answer));
        if (topK < 1)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"topK is {topK}; expected at least 1.");
        if (prependSpaceToAnswer && !answer.StartsWith(' ')) answer = " " + answer;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var promptTokens = model.ToTokens(prompt, prependBos)[0];                       // [p]
        var answerTokens = model.ToTokens(answer, prependBos: false)[0];                // [a]
        var tokens = cat([promptTokens, answerTokens]).unsqueeze(0);
        var logits = model.Forward(tokens)[0].to(float32);                              // [p + a, d_vocab]
        var probs = logits.softmax(-1);
        long p = promptTokens.shape[0];
        long[] answerIds = answerTokens.cpu().data<long>().ToArray();
        var answers = new List<TokenPrediction>();
        var tops = new List<IReadOnlyList<TokenPrediction>>();
        for (int i = 0; i < answerIds.Length; i++)
        {
            long position = p - 1 + i, id = answerIds[i];
            var row = logits[position];
            int rank = (int)row.gt(row[id]).sum().item<long>();
            answers.Add(new TokenPrediction(rank, id, model.ToSingleStrToken(id), row[id].item<float>(), probs[position, id].item<float>()));
            var (values, ids) = row.topk((int)Math.Min(topK, row.shape[0]));
            long[] topIds = ids.cpu().data<long>().ToArray();
            float[] topLogits = values.cpu().data<float>().ToArray();
            tops.Add(topIds.Select((t, k) => new TokenPrediction(k, t, model.ToSingleStrToken(t), topLogits[k], probs[position, t].item<float>())).ToList());
        }
        var result = new TestPromptResult(model.ToStrTokens(promptTokens), answers, tops);
        output?.Write(result);
        return result;
    }
}
