using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Facts;

/// <summary>A prompt's tokens [1, pos] with the subject's token span [Start, End).</summary>
public sealed record SubjectPrompt(Tensor Tokens, int Start, int End)
{
    /// <summary>
    /// Tokenizes <paramref name="prompt"/> with the model's tokenizer (BOS as the tokenizer's default) and finds the tokens
    /// of <paramref name="subject"/>'s first occurrence: Start = the token count of the text before it (trailing spaces
    /// trimmed, so a BPE subject keeps its leading space), End = the token count of the text up to its end.
    /// </summary>
    /// <exception cref="ArgumentException">The subject does not occur, or its tokens are not a span of the prompt's tokens.</exception>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public static SubjectPrompt Find(HookedTransformer model, string prompt, string subject)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(prompt);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        int at = prompt.IndexOf(subject, StringComparison.Ordinal);
        if (at < 0)
            throw new ArgumentException($"subject '{subject}' does not occur in the prompt '{prompt}'.", nameof(subject));
        var all = Ids(model, prompt);
        var before = Ids(model, prompt[..at].TrimEnd());
        var through = Ids(model, prompt[..(at + subject.Length)]);
        int start = before.Length, end = through.Length;
        if (end <= start || end > all.Length || !all.AsSpan(0, end).SequenceEqual(through))
            throw new ArgumentException($"The tokens of subject '{subject}' are not a span of the prompt's tokens ('{prompt}' tokenizes differently around it).", nameof(subject));
        return new SubjectPrompt(tensor(all, [1, all.Length], dtype: int64, device: model.Device), start, end);
    }

    private static long[] Ids(HookedTransformer model, string text)
    {
        using var scope = NewDisposeScope();
        if (text.Length == 0)
            return model.Tokenizer is { DefaultPrependBos: true, BosTokenId: { } bos } ? [bos] : [];
        return model.ToTokens(text)[0].cpu().data<long>().ToArray();
    }
}
