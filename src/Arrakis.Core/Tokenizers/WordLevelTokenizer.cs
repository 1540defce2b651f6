using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Arrakis.Tokenizers;

/// <summary>
/// A word-level tokenizer (one id per word, digit pair or punctuation mark) on Microsoft.ML.Tokenizers' <see cref="Tokenizer"/>
/// base class, which has no word-level model of its own in 2.0.1. It reads and writes the Hugging Face <c>tokenizer.json</c>
/// layout of a <c>WordLevel</c> model, so the files load in the Python <c>tokenizers</c> library too.
/// </summary>
/// <remarks>
/// <para><b>Splitting.</b> Text is split by <see cref="Pattern"/> (default <see cref="DefaultPattern"/>): two-digit groups,
/// a single leftover digit, runs of letters, or any other single non-space character; whitespace only separates.
/// "1732," becomes <c>17</c> <c>32</c> <c>,</c> — years split as GPT-2 splits them. Special tokens
/// (<see cref="SpecialTokens"/>, e.g. <c>&lt;|endoftext|&gt;</c>) are matched whole before splitting. A piece that is not in the
/// vocabulary becomes <see cref="UnknownToken"/>.</para>
/// <para><b>File.</b> <c>tokenizer.json</c> with <c>model: {type: "WordLevel", vocab: {token: id}, unk_token}</c>,
/// <c>pre_tokenizer: Sequence[WhitespaceSplit, Split(Regex(pattern), Isolated)]</c> and the special tokens in
/// <c>added_tokens</c>. Ids are dense: 0 … <see cref="VocabSize"/>−1.</para>
/// <para><b>Decoding</b> joins tokens with single spaces, except that punctuation (<c>. , ! ? ; :</c>) attaches to the word
/// before it and consecutive all-digit tokens are joined (<c>17</c> <c>32</c> → "1732"), so decode(encode(s)) == s for
/// text written in that canonical spacing.</para>
/// </remarks>
public sealed class WordLevelTokenizer : Tokenizer
{
    /// <summary>The default splitting pattern: digit pairs, a lone digit, letter runs, or one other non-space character.</summary>
    public const string DefaultPattern = @"\d\d|\d|\p{L}+|[^\s\p{L}\d]";

    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _idToToken;
    private readonly Dictionary<string, int> _special;
    private readonly RegexPreTokenizer _preTokenizer;

    private WordLevelTokenizer(IReadOnlyList<string> tokens, string unknownToken, IEnumerable<string> specialTokens, string pattern)
    {
        _idToToken = tokens.ToArray();
        _vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _idToToken.Length; i++)
        {
            if (string.IsNullOrEmpty(_idToToken[i]))
                throw new ArgumentException($"Token {i} is empty.", nameof(tokens));
            if (!_vocab.TryAdd(_idToToken[i], i))
                throw new ArgumentException($"The token '{_idToToken[i]}' appears twice (ids {_vocab[_idToToken[i]]} and {i}).", nameof(tokens));
        }
        if (!_vocab.TryGetValue(unknownToken, out int unk))
            throw new ArgumentException($"The unknown token '{unknownToken}' is not in the vocabulary.", nameof(unknownToken));
        UnknownToken = unknownToken;
        UnknownId = unk;
        _special = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string s in specialTokens)
            _special[s] = _vocab.TryGetValue(s, out int id) ? id : throw new ArgumentException($"The special token '{s}' is not in the vocabulary.", nameof(specialTokens));
        Pattern = pattern;
        _preTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), _special.Count > 0 ? _special : null);
    }

    /// <summary>A tokenizer whose id i is <paramref name="tokens"/>[i].</summary>
    /// <param name="tokens">The vocabulary in id order; must contain <paramref name="unknownToken"/> and every special token.</param>
    /// <param name="unknownToken">What out-of-vocabulary pieces become.</param>
    /// <param name="specialTokens">Tokens matched whole in text before splitting (BOS/EOS/padding).</param>
    /// <param name="pattern">The splitting regex (see <see cref="DefaultPattern"/>).</param>
    /// <exception cref="ArgumentException">Duplicate or empty tokens, or a named token missing from the vocabulary.</exception>
    public static WordLevelTokenizer Create(IReadOnlyList<string> tokens, string unknownToken = "<unk>",
        IEnumerable<string>? specialTokens = null, string pattern = DefaultPattern) =>
        new(tokens ?? throw new ArgumentNullException(nameof(tokens)), unknownToken, specialTokens ?? [], pattern);

    /// <summary>The splitting regex.</summary>
    public string Pattern { get; }

    /// <summary>Number of ids.</summary>
    public int VocabSize => _idToToken.Length;

    /// <summary>The out-of-vocabulary token.</summary>
    public string UnknownToken { get; }

    /// <summary>The id of <see cref="UnknownToken"/>.</summary>
    public int UnknownId { get; }

    /// <summary>Token → id.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

    /// <summary>Special token → id.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens => _special;

    /// <summary>Tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => _idToToken;

    /// <inheritdoc />
    public override PreTokenizer? PreTokenizer => _preTokenizer;

    /// <summary>The id of <paramref name="token"/>, or null.</summary>
    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>The token of <paramref name="id"/>, or null when out of range.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    /// <summary>The id of a token that must exist.</summary>
    /// <exception cref="KeyNotFoundException">It is not in the vocabulary.</exception>
    public int Id(string token) => _vocab.TryGetValue(token, out int id) ? id
        : throw new KeyNotFoundException($"'{token}' is not in this tokenizer's vocabulary of {VocabSize} tokens.");

    /// <inheritdoc />
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        string s = text ?? textSpan.ToString();
        int max = settings.MaxTokenCount > 0 ? settings.MaxTokenCount : int.MaxValue;
        var result = new List<EncodedToken>();
        int consumed = 0;
        foreach (var (offset, length) in _preTokenizer.PreTokenize(s))
        {
            if (result.Count >= max)
                break;
            string piece = s.Substring(offset, length);
            int id = _vocab.TryGetValue(piece, out int known) ? known : UnknownId;
            result.Add(new EncodedToken(id, piece, new Range(offset, offset + length)));
            consumed = offset + length;
        }
        if (result.Count < max)
            consumed = s.Length;
        return new EncodeResults<EncodedToken> { Tokens = result, NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc />
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        string? previous = null;
        foreach (int id in ids)
        {
            string token = IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"not an id of this {VocabSize}-token vocabulary.");
            if (previous is not null && !Attaches(previous, token))
                sb.Append(' ');
            sb.Append(token);
            previous = token;
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        idsConsumed = 0;
        charsWritten = 0;
        string? previous = null;
        foreach (int id in ids)
        {
            string? token = IdToToken(id);
            if (token is null)
                return OperationStatus.InvalidData;
            bool space = previous is not null && !Attaches(previous, token);
            int need = token.Length + (space ? 1 : 0);
            if (charsWritten + need > destination.Length)
                return OperationStatus.DestinationTooSmall;
            if (space)
                destination[charsWritten++] = ' ';
            token.AsSpan().CopyTo(destination[charsWritten..]);
            charsWritten += token.Length;
            idsConsumed++;
            previous = token;
        }
        return OperationStatus.Done;
    }

    private static bool Attaches(string previous, string token) =>
        token is "." or "," or "!" or "?" or ";" or ":" || (IsDigits(previous) && IsDigits(token));

    private static bool IsDigits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    /// <summary>Writes the Hugging Face <c>tokenizer.json</c> for this tokenizer.</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>Writes the Hugging Face <c>tokenizer.json</c> for this tokenizer.</summary>
    public void Save(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        foreach (var (token, id) in _special.OrderBy(kv => kv.Value))
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("content", token);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("normalizer");
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        w.WriteStartObject();
        w.WriteString("type", "WhitespaceSplit");
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("type", "Split");
        w.WriteStartObject("pattern");
        w.WriteString("Regex", Pattern);
        w.WriteEndObject();
        w.WriteString("behavior", "Isolated");
        w.WriteBoolean("invert", false);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNull("post_processor");
        w.WriteNull("decoder");
        w.WriteStartObject("model");
        w.WriteString("type", "WordLevel");
        w.WriteStartObject("vocab");
        for (int i = 0; i < _idToToken.Length; i++)
            w.WriteNumber(_idToToken[i], i);
        w.WriteEndObject();
        w.WriteString("unk_token", UnknownToken);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Whether the <c>tokenizer.json</c> at <paramref name="path"/> describes a <c>WordLevel</c> model (false for anything unreadable).</summary>
    public static bool IsWordLevelJson(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.Object
                   && model.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "WordLevel";
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return false;
        }
    }

    /// <summary>Reads a <c>tokenizer.json</c> whose model is <c>WordLevel</c> (as <see cref="Save(string)"/> writes).</summary>
    /// <exception cref="FormatException">Not valid JSON, not a WordLevel model, or ids that are not 0 … n−1.</exception>
    public static WordLevelTokenizer FromFile(string path)
    {
        using var stream = File.OpenRead(path);
        return FromStream(stream, path);
    }

    /// <summary>Reads a WordLevel <c>tokenizer.json</c> from a stream; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">Not valid JSON, not a WordLevel model, or ids that are not 0 … n−1.</exception>
    public static WordLevelTokenizer FromStream(Stream stream, string source = "tokenizer.json")
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(stream); }
        catch (JsonException ex) { throw new FormatException($"{source}: not valid JSON ({ex.Message}).", ex); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object
                || !model.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "WordLevel")
                throw new FormatException($"{source}: not a WordLevel tokenizer.json (model.type must be \"WordLevel\").");
            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{source}: model.vocab is not an object.");
            var byId = new SortedDictionary<int, string>();
            foreach (var entry in vocab.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                    throw new FormatException($"{source}: model.vocab['{entry.Name}'] is not a non-negative integer.");
                if (!byId.TryAdd(id, entry.Name))
                    throw new FormatException($"{source}: id {id} is used by '{byId[id]}' and '{entry.Name}'.");
            }
            if (byId.Count > 0 && byId.Keys.Last() != byId.Count - 1)
                throw new FormatException($"{source}: ids must be 0 … {byId.Count - 1} without gaps.");
            string unk = model.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "<unk>";
            var special = new List<string>();
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
                foreach (var t in added.EnumerateArray())
                    if (t.ValueKind == JsonValueKind.Object && t.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String)
                        special.Add(c.GetString()!);
            string pattern = FindSplitPattern(root) ?? DefaultPattern;
            try { return new WordLevelTokenizer(byId.Values.ToList(), unk, special, pattern); }
            catch (ArgumentException ex) { throw new FormatException($"{source}: {ex.Message}", ex); }
        }
    }

    private static string? FindSplitPattern(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
            return null;
        var steps = pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [pre];
        foreach (var step in steps)
            if (step.ValueKind == JsonValueKind.Object && step.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "Split"
                && step.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String)
                return r.GetString();
        return null;
    }
}
