using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tokenizers;

/// <summary>How a tokenizer was built.</summary>
public enum TokenizerKind
{
    /// <summary>Byte-level BPE from <c>vocab.json</c> + <c>merges.txt</c> (GPT-2's own files).</summary>
    Gpt2Bpe,
    /// <summary>Byte-level BPE from a Hugging Face <c>tokenizer.json</c>.</summary>
    HuggingFaceBpe,
    /// <summary>SentencePiece BPE from a <c>tokenizer.model</c> (Llama, Mistral, Gemma, Phi-3).</summary>
    SentencePiece,
    /// <summary>Word-level vocabulary from a Hugging Face <c>tokenizer.json</c> with a <c>WordLevel</c> model (<see cref="WordLevelTokenizer"/>; the model zoo's).</summary>
    WordLevel,
}

/// <summary>
/// A Microsoft.ML.Tokenizers tokenizer with the model's special ids and the TransformerLens-style helpers
/// (<see cref="ToTokens(string, bool?, PaddingSide?, Device?, int?)"/>, <see cref="ToStrTokens(string, bool?)"/>,
/// <see cref="ToString(IEnumerable{long})"/>, <see cref="ToSingleToken"/>, <see cref="GetTokenPosition(string, string, TokenPositionMode, bool?)"/>).
/// </summary>
/// <remarks>
/// <see cref="Encode"/> never adds special tokens; BOS is added only by the helpers, when <c>prependBos</c> (or
/// <see cref="DefaultPrependBos"/>) asks for it. Text that spells a special token (e.g. <c>&lt;|endoftext|&gt;</c>) is
/// encoded as that token, as Hugging Face tokenizers do.
/// </remarks>
public sealed class ArrakisTokenizer
{
    private readonly Dictionary<int, string> _idToToken;
    private readonly IReadOnlyDictionary<string, int> _tokenToId;
    private readonly HashSet<int> _specialIds;

    /// <summary>Wraps a tokenizer. Prefer <see cref="TokenizerLoader"/>, which fills the ids in from the files.</summary>
    /// <param name="inner">The Microsoft.ML.Tokenizers tokenizer; it must not add BOS/EOS by itself.</param>
    /// <param name="kind">What it was built from.</param>
    /// <param name="vocabulary">Token string → id, special tokens included.</param>
    /// <param name="specialTokens">Token strings that are special (never split, shown verbatim by <see cref="ToStrTokens(string, bool?)"/>).</param>
    /// <param name="bosTokenId">Beginning-of-sequence id, when the model has one.</param>
    /// <param name="eosTokenId">End-of-sequence id, when the model has one.</param>
    /// <param name="padTokenId">Padding id; when null, EOS then BOS is used for padding (as TransformerLens does).</param>
    public ArrakisTokenizer(Tokenizer inner, TokenizerKind kind, IReadOnlyDictionary<string, int> vocabulary,
        IEnumerable<string> specialTokens, int? bosTokenId, int? eosTokenId, int? padTokenId)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Kind = kind;
        _tokenToId = vocabulary;
        _idToToken = new Dictionary<int, string>(vocabulary.Count);
        foreach (var (token, id) in vocabulary)
            _idToToken.TryAdd(id, token);
        _specialIds = [.. specialTokens.Where(vocabulary.ContainsKey).Select(t => vocabulary[t])];
        foreach (int? id in new[] { bosTokenId, eosTokenId, padTokenId })
            if (id is int known)
                _specialIds.Add(known);
        BosTokenId = bosTokenId;
        EosTokenId = eosTokenId;
        PadTokenId = padTokenId;
        VocabSize = _idToToken.Count == 0 ? 0 : _idToToken.Keys.Max() + 1;
        DefaultPrependBos = bosTokenId is not null;
    }

    /// <summary>The underlying Microsoft.ML.Tokenizers tokenizer.</summary>
    public Tokenizer Inner { get; }

    /// <summary>What the tokenizer was built from.</summary>
    public TokenizerKind Kind { get; }

    /// <summary>Largest id + 1.</summary>
    public int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, or null.</summary>
    public int? BosTokenId { get; }

    /// <summary>End-of-sequence id, or null.</summary>
    public int? EosTokenId { get; }

    /// <summary>The configured padding id, or null (then <see cref="EffectivePadTokenId"/> falls back).</summary>
    public int? PadTokenId { get; }

    /// <summary>The id used for padding: PAD, else EOS, else BOS, else 0.</summary>
    public int EffectivePadTokenId => PadTokenId ?? EosTokenId ?? BosTokenId ?? 0;

    /// <summary>Whether helpers prepend BOS when their <c>prependBos</c> is null (TransformerLens's default_prepend_bos). True when a BOS exists.</summary>
    public bool DefaultPrependBos { get; set; }

    /// <summary>
    /// The tokenizer files of the folder it was loaded from (<see cref="TokenizerLoader.FromFolder"/>), full paths;
    /// empty when built otherwise. <see cref="HookedTransformer.SavePretrained"/> copies them next to the weights.
    /// </summary>
    public IReadOnlyList<string> SourceFiles { get; internal set; } = [];

    /// <summary>Padding side used when a helper's <c>paddingSide</c> is null.</summary>
    public PaddingSide DefaultPaddingSide { get; set; } = PaddingSide.Right;

    /// <summary>Token ids for <paramref name="text"/>, without BOS or EOS.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Inner.EncodeToIds(text);
    }

    /// <summary>The text for a sequence of ids (special tokens included as their text).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        foreach (int id in list)
            CheckId(id);
        // Decode specials verbatim and the runs between them with the tokenizer, so that byte-level pieces of one
        // character that straddle no special are joined before they are turned into text.
        var text = new System.Text.StringBuilder();
        int start = 0;
        for (int i = 0; i <= list.Count; i++)
        {
            if (i < list.Count && !_specialIds.Contains(list[i]))
                continue;
            if (i > start)
                text.Append(Inner.Decode(Slice(list, start, i)));
            if (i < list.Count)
                text.Append(_idToToken[list[i]]);
            start = i + 1;
        }
        return text.ToString();
    }

    /// <summary>The text for a sequence of ids given as int64 (as in token tensors).</summary>
    public string Decode(IEnumerable<long> ids) => Decode(ids.Select(ToInt));

    /// <summary>The vocabulary's string for an id (e.g. <c>Ġworld</c> for GPT-2, <c>▁world</c> for SentencePiece), or null.</summary>
    public string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    /// <summary>The id of a vocabulary string, or null.</summary>
    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    /// <summary>Whether an id is a special token (BOS, EOS, PAD or an added special token).</summary>
    public bool IsSpecial(int id) => _specialIds.Contains(id);

    // ---- TransformerLens-style helpers ----

    /// <summary>Tokenizes one text into a <c>[1, pos]</c> batch (see the list overload).</summary>
    public TokenBatch ToTokens(string text, bool? prependBos = null, PaddingSide? paddingSide = null,
        Device? device = null, int? maxLength = null) =>
        ToTokens([text ?? throw new ArgumentNullException(nameof(text))], prependBos, paddingSide, device, maxLength);

    /// <summary>
    /// Tokenizes texts into an int64 <c>[batch, pos]</c> tensor padded with <see cref="EffectivePadTokenId"/>, and its
    /// attention mask (TransformerLens's <c>to_tokens</c> plus <c>get_attention_mask</c>).
    /// </summary>
    /// <param name="texts">At least one text.</param>
    /// <param name="prependBos">Whether each row starts with BOS; null means <see cref="DefaultPrependBos"/>.</param>
    /// <param name="paddingSide">Null means <see cref="DefaultPaddingSide"/>.</param>
    /// <param name="device">Where the tensors go (CPU when null).</param>
    /// <param name="maxLength">Truncate each row (BOS included) to this many tokens, e.g. the model's context length.</param>
    /// <exception cref="InvalidOperationException">BOS asked for but the tokenizer has none.</exception>
    public TokenBatch ToTokens(IReadOnlyList<string> texts, bool? prependBos = null, PaddingSide? paddingSide = null,
        Device? device = null, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0)
            throw new ArgumentException("At least one text is needed.", nameof(texts));
        if (maxLength is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "must be at least 1");
        var side = paddingSide ?? DefaultPaddingSide;
        var rows = texts.Select(t => TokenIds(t ?? throw new ArgumentException("A text is null.", nameof(texts)), prependBos)).ToList();
        if (maxLength is int max)
            rows = rows.Select(r => r.Count > max ? r.GetRange(0, max) : r).ToList();
        int width = rows.Max(r => r.Count);
        long pad = EffectivePadTokenId;
        var ids = new long[rows.Count * width];
        var mask = new long[rows.Count * width];
        Array.Fill(ids, pad);
        for (int b = 0; b < rows.Count; b++)
        {
            int offset = b * width + (side == PaddingSide.Left ? width - rows[b].Count : 0);
            for (int i = 0; i < rows[b].Count; i++)
            {
                ids[offset + i] = rows[b][i];
                mask[offset + i] = 1;
            }
        }
        var tokens = torch.tensor(ids, [rows.Count, width], ScalarType.Int64, device);
        var attention = torch.tensor(mask, [rows.Count, width], ScalarType.Int64, device);
        return new TokenBatch(tokens, attention, rows.Select(r => r.Count).ToArray(), side);
    }

    /// <summary>The ids <see cref="ToTokens(string, bool?, PaddingSide?, Device?, int?)"/> would give one text, as a list.</summary>
    public List<long> TokenIds(string text, bool? prependBos = null)
    {
        var ids = new List<long>();
        if (prependBos ?? DefaultPrependBos)
            ids.Add(BosTokenId ?? throw new InvalidOperationException("BOS was asked for, but this tokenizer has no BOS token."));
        foreach (int id in Encode(text))
            ids.Add(id);
        return ids;
    }

    /// <summary>Each token of <paramref name="text"/> as its own string (TransformerLens's <c>to_str_tokens</c>).</summary>
    public IReadOnlyList<string> ToStrTokens(string text, bool? prependBos = null) => ToStrTokens((IEnumerable<long>)TokenIds(text, prependBos));

    /// <summary>Each id as its own string: special tokens verbatim, others decoded alone (a partial UTF-8 character shows as U+FFFD).</summary>
    public IReadOnlyList<string> ToStrTokens(IEnumerable<long> tokens) =>
        tokens.Select(ToInt).Select(id => Decode([id])).ToList();

    /// <summary>Each id as its own string (an array overload, since TorchSharp converts arrays to tensors implicitly).</summary>
    public IReadOnlyList<string> ToStrTokens(long[] tokens) => ToStrTokens((IEnumerable<long>)tokens);

    /// <summary>Each token of a 1-D tensor, or of a <c>[1, pos]</c> batch, as its own string.</summary>
    public IReadOnlyList<string> ToStrTokens(Tensor tokens) => ToStrTokens(Row(tokens));

    /// <summary>The text for ids (TransformerLens's <c>to_string</c> on a 1-D sequence).</summary>
    public string ToString(IEnumerable<long> tokens) => Decode(tokens);

    /// <summary>The text for ids (an array overload, since TorchSharp converts arrays to tensors implicitly).</summary>
    public string ToString(long[] tokens) => Decode(tokens);

    /// <summary>The text of a 1-D tensor or a <c>[1, pos]</c> batch.</summary>
    public string ToString(Tensor tokens) => Decode(Row(tokens));

    /// <summary>The text of each row of a <c>[batch, pos]</c> tensor (padding included; use the mask to drop it).</summary>
    public IReadOnlyList<string> ToStrings(Tensor tokens)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"Expected a [batch, pos] tensor, got shape [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        using var cpu = tokens.to(ScalarType.Int64, torch.CPU);
        var all = cpu.data<long>().ToArray();
        int width = (int)tokens.shape[1];
        return Enumerable.Range(0, (int)tokens.shape[0]).Select(b => Decode((IEnumerable<long>)all.AsSpan(b * width, width).ToArray())).ToList();
    }

    /// <summary>The id of a string that is exactly one token (without BOS), e.g. <c>" world"</c> → 995 for GPT-2.</summary>
    /// <exception cref="ArgumentException">The string is not exactly one token; the message lists the tokens it is.</exception>
    public int ToSingleToken(string text)
    {
        var ids = Encode(text);
        if (ids.Count != 1)
            throw new ArgumentException(
                $"'{text}' is {ids.Count} tokens, not one: [{string.Join(", ", ids.Select(id => $"{id} '{Decode([id])}'"))}].",
                nameof(text));
        return ids[0];
    }

    /// <summary>Position of <paramref name="token"/> in <paramref name="input"/> (TransformerLens's <c>get_token_position</c>).</summary>
    /// <exception cref="ArgumentException">The token does not occur.</exception>
    public int GetTokenPosition(int token, IReadOnlyList<long> input, TokenPositionMode mode = TokenPositionMode.First)
    {
        ArgumentNullException.ThrowIfNull(input);
        int found = -1;
        for (int i = 0; i < input.Count; i++)
        {
            if (input[i] != token)
                continue;
            found = i;
            if (mode == TokenPositionMode.First)
                break;
        }
        return found >= 0
            ? found
            : throw new ArgumentException($"Token {token} '{Decode([token])}' does not occur in the input ({input.Count} tokens).", nameof(token));
    }

    /// <summary>Position of a one-token string in a text tokenized as <see cref="ToTokens(string, bool?, PaddingSide?, Device?, int?)"/> would (BOS counts as position 0 when prepended).</summary>
    public int GetTokenPosition(string token, string input, TokenPositionMode mode = TokenPositionMode.First, bool? prependBos = null) =>
        GetTokenPosition(ToSingleToken(token), (IReadOnlyList<long>)TokenIds(input, prependBos), mode);

    /// <summary>Position of <paramref name="token"/> in a 1-D tensor or <c>[1, pos]</c> batch.</summary>
    public int GetTokenPosition(int token, Tensor input, TokenPositionMode mode = TokenPositionMode.First) =>
        GetTokenPosition(token, (IReadOnlyList<long>)Row(input), mode);

    /// <summary>Position of <paramref name="token"/> in ids (an array overload, since TorchSharp converts arrays to tensors implicitly).</summary>
    public int GetTokenPosition(int token, long[] input, TokenPositionMode mode = TokenPositionMode.First) =>
        GetTokenPosition(token, (IReadOnlyList<long>)input, mode);

    private static long[] Row(Tensor tokens)
    {
        if (tokens.dim() == 2 && tokens.shape[0] == 1)
        {
            using var first = tokens[0];
            return Row(first);
        }
        if (tokens.dim() != 1)
            throw new ArgumentException($"Expected a 1-D tensor or a [1, pos] batch, got shape [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        using var cpu = tokens.to(ScalarType.Int64, torch.CPU);
        return cpu.data<long>().ToArray();
    }

    private static List<int> Slice(IReadOnlyList<int> list, int start, int end)
    {
        var part = new List<int>(end - start);
        for (int i = start; i < end; i++)
            part.Add(list[i]);
        return part;
    }

    private void CheckId(int id)
    {
        if (!_idToToken.ContainsKey(id))
            throw new ArgumentOutOfRangeException(nameof(id), id, $"not a token id of this tokenizer (vocabulary size {VocabSize})");
    }

    private static int ToInt(long id) =>
        id is >= int.MinValue and <= int.MaxValue ? (int)id : throw new ArgumentOutOfRangeException(nameof(id), id, "not a token id");
}
