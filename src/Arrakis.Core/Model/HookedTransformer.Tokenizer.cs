using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>The TransformerLens tokenizer helpers, forwarded to <see cref="Tokenizer"/> with the model's device and context length.</summary>
public partial class HookedTransformer
{
    /// <summary>
    /// The model's tokenizer (TL <c>model.tokenizer</c>): loaded by <see cref="FromPretrained"/> when the folder has
    /// tokenizer files; null for a model built from a configuration until one is set.
    /// </summary>
    public ArrakisTokenizer? Tokenizer { get; set; }

    /// <summary>Tokens of one text, int64 [1, pos] on the model's device (TL <c>to_tokens</c>).</summary>
    /// <param name="text">The text.</param>
    /// <param name="prependBos">Start with BOS; null means the tokenizer's default (true when it has a BOS).</param>
    /// <param name="truncate">Cut to the model's context length <c>n_ctx</c>.</param>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public Tensor ToTokens(string text, bool? prependBos = null, bool truncate = true)
    {
        using var batch = ToTokenBatch([text ?? throw new ArgumentNullException(nameof(text))], prependBos, null, truncate);
        return batch.Tokens.alias();
    }

    /// <summary>Tokens of several texts, padded to one length, int64 [batch, pos] on the model's device (TL <c>to_tokens</c>).
    /// Use <see cref="ToTokenBatch"/> to get the attention mask as well.</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public Tensor ToTokens(IReadOnlyList<string> texts, bool? prependBos = null, PaddingSide? paddingSide = null, bool truncate = true)
    {
        using var batch = ToTokenBatch(texts, prependBos, paddingSide, truncate);
        return batch.Tokens.alias();
    }

    /// <summary>Tokens and attention mask (pass it to <see cref="Forward"/>) of several texts, on the model's device.</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public TokenBatch ToTokenBatch(IReadOnlyList<string> texts, bool? prependBos = null, PaddingSide? paddingSide = null, bool truncate = true) =>
        RequireTokenizer().ToTokens(texts, prependBos, paddingSide, Device, truncate ? Cfg.NCtx : null);

    /// <summary>Each token of a text as a string (TL <c>to_str_tokens</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public IReadOnlyList<string> ToStrTokens(string text, bool? prependBos = null) => RequireTokenizer().ToStrTokens(text, prependBos);

    /// <summary>Each token of a 1-D tensor or a [1, pos] batch as a string (TL <c>to_str_tokens</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public IReadOnlyList<string> ToStrTokens(Tensor tokens) => RequireTokenizer().ToStrTokens(tokens);

    /// <summary>Each of the ids as a string (TL <c>to_str_tokens</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public IReadOnlyList<string> ToStrTokens(IEnumerable<long> tokens) => RequireTokenizer().ToStrTokens(tokens);

    /// <summary>The text of a 1-D tensor or a [1, pos] batch (TL <c>to_string</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public string ToString(Tensor tokens) => RequireTokenizer().ToString(tokens);

    /// <summary>The text of a sequence of ids (TL <c>to_string</c>).</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public string ToString(IEnumerable<long> tokens) => RequireTokenizer().ToString(tokens);

    /// <summary>The id of a string that is exactly one token, e.g. <c>" world"</c> (TL <c>to_single_token</c>).</summary>
    /// <exception cref="ArgumentException">It is not exactly one token (the message lists its tokens).</exception>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public int ToSingleToken(string text) => RequireTokenizer().ToSingleToken(text);

    /// <summary>Position of a one-token string in a text tokenized as <see cref="ToTokens(string, bool?, bool)"/> would (TL <c>get_token_position</c>).</summary>
    /// <exception cref="ArgumentException">The token does not occur, or is not one token.</exception>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public int GetTokenPosition(string token, string input, TokenPositionMode mode = TokenPositionMode.First, bool? prependBos = null) =>
        RequireTokenizer().GetTokenPosition(token, input, mode, prependBos);

    /// <summary>Position of a token id in a 1-D tensor or a [1, pos] batch (TL <c>get_token_position</c>).</summary>
    /// <exception cref="ArgumentException">The token does not occur.</exception>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public int GetTokenPosition(int token, Tensor input, TokenPositionMode mode = TokenPositionMode.First) =>
        RequireTokenizer().GetTokenPosition(token, input, mode);

    private ArrakisTokenizer RequireTokenizer() => Tokenizer ?? throw new InvalidOperationException(
        "This model has no tokenizer: it was built from a configuration, or its folder had no tokenizer files " +
        "(tokenizer.json, tokenizer.model, or vocab.json with merges.txt). Set model.Tokenizer = TokenizerLoader.FromFolder(folder).");
}
