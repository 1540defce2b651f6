using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Arrakis.Tokenizers;

/// <summary>
/// Builds <see cref="ArrakisTokenizer"/>s from local files laid out as Hugging Face does. Nothing is downloaded.
/// </summary>
public static partial class TokenizerLoader
{
    /// <summary>GPT-2's pre-tokenisation pattern (openai/gpt-2 encoder.py), used for byte-level BPE without its own pattern.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's end-of-text token, its BOS, EOS and (in TransformerLens) padding token.</summary>
    public const string Gpt2EndOfText = "<|endoftext|>";

    /// <summary>
    /// Picks the tokenizer in a Hugging Face style folder: a byte-level BPE <c>tokenizer.json</c>; else a SentencePiece
    /// <c>tokenizer.model</c>; else <c>vocab.json</c> + <c>merges.txt</c>. BOS/EOS/PAD come from
    /// <c>tokenizer_config.json</c> or <c>special_tokens_map.json</c>, then <c>config.json</c>'s <c>*_token_id</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">None of those files is there.</exception>
    /// <exception cref="NotSupportedException">Only a <c>tokenizer.json</c> of a kind this library cannot build (the message says which).</exception>
    /// <exception cref="FormatException">A tokenizer file is malformed.</exception>
    public static ArrakisTokenizer FromFolder(string directory)
    {
        string dir = Path.GetFullPath(directory);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"{dir}: no such folder.");
        var tokenizer = Load(dir);
        tokenizer.SourceFiles = FolderFiles.Select(f => Path.Combine(dir, f)).Where(File.Exists).ToList();
        return tokenizer;
    }

    /// <summary>The files of a Hugging Face folder that describe its tokenizer (any that exist are copied when a model is saved).</summary>
    public static readonly IReadOnlyList<string> FolderFiles =
        ["tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"];

    /// <summary>Whether a folder holds a tokenizer <see cref="FromFolder"/> would try to read.</summary>
    public static bool HasTokenizer(string directory) =>
        File.Exists(Path.Combine(directory, "tokenizer.json")) || File.Exists(Path.Combine(directory, "tokenizer.model"))
        || (File.Exists(Path.Combine(directory, "vocab.json")) && File.Exists(Path.Combine(directory, "merges.txt")));

    private static ArrakisTokenizer Load(string dir)
    {
        string json = Path.Combine(dir, "tokenizer.json");
        string spm = Path.Combine(dir, "tokenizer.model");
        string vocab = Path.Combine(dir, "vocab.json");
        string merges = Path.Combine(dir, "merges.txt");
        var special = SpecialTokenNames.Read(dir);

        NotSupportedException? jsonProblem = null;
        if (File.Exists(json) && WordLevelTokenizer.IsWordLevelJson(json))
            return FromWordLevel(WordLevelTokenizer.FromFile(json), special);
        if (File.Exists(json))
        {
            try { return FromTokenizerJson(json, special); }
            catch (NotSupportedException ex) when (File.Exists(spm) || (File.Exists(vocab) && File.Exists(merges))) { jsonProblem = ex; }
        }
        if (File.Exists(spm))
            return FromSentencePiece(spm, special);
        if (File.Exists(vocab) && File.Exists(merges))
            return FromVocabAndMerges(vocab, merges, special);
        if (jsonProblem is not null)
            throw jsonProblem;
        throw new FileNotFoundException(
            $"{dir}: no tokenizer.json, tokenizer.model, or vocab.json with merges.txt. Found: " +
            string.Join(", ", Directory.GetFiles(dir).Select(Path.GetFileName).Order()) + ".");
    }

    /// <summary>
    /// Wraps a <see cref="WordLevelTokenizer"/> (the model zoo's word-level vocabularies). BOS/EOS/PAD come from the
    /// folder's files when given, else <c>&lt;|endoftext|&gt;</c> is all three when the vocabulary has it.
    /// </summary>
    public static ArrakisTokenizer FromWordLevel(WordLevelTokenizer tokenizer) => FromWordLevel(tokenizer, new SpecialTokenNames(null, null, null, null, null, null));

    private static ArrakisTokenizer FromWordLevel(WordLevelTokenizer tokenizer, SpecialTokenNames names)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var specials = new Dictionary<string, int>(tokenizer.SpecialTokens, StringComparer.Ordinal);
        int? eot = tokenizer.TokenToId(Gpt2EndOfText);
        return Wrap(tokenizer, TokenizerKind.WordLevel, tokenizer.Vocabulary, specials, names, eot, eot, eot);
    }

    /// <summary>GPT-2 style byte-level BPE from <c>vocab.json</c> (GPT-2's <c>encoder.json</c>) and <c>merges.txt</c> (<c>vocab.bpe</c>).</summary>
    public static ArrakisTokenizer FromVocabAndMerges(string vocabPath, string mergesPath) =>
        FromVocabAndMerges(vocabPath, mergesPath, SpecialTokenNames.Read(Path.GetDirectoryName(Path.GetFullPath(vocabPath))!));

    private static ArrakisTokenizer FromVocabAndMerges(string vocabPath, string mergesPath, SpecialTokenNames names)
    {
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize(File.ReadAllBytes(vocabPath), Util.CoreJsonContext.Default.DictionaryStringInt32)
                    ?? throw new FormatException($"{vocabPath}: null instead of a token → id object.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{vocabPath}: not a JSON object of token → id ({ex.Message}).", ex);
        }
        var merges = File.ReadLines(mergesPath)
            .Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal))
            .ToList();
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (vocab.TryGetValue(Gpt2EndOfText, out int eot))
            specials[Gpt2EndOfText] = eot;
        foreach (var name in names.All)
            if (vocab.TryGetValue(name, out int id))
                specials[name] = id;
        var tokenizer = BuildByteLevelBpe(vocab, merges, specials, Gpt2Pattern, null);
        int? fallback = specials.TryGetValue(Gpt2EndOfText, out int e) ? e : null;
        return Wrap(tokenizer, TokenizerKind.Gpt2Bpe, vocab, specials, names, fallback, fallback, null);
    }

    /// <summary>
    /// A Hugging Face <c>tokenizer.json</c> whose model is byte-level BPE (GPT-2, GPT-NeoX/Pythia, Llama 3, Qwen2, …):
    /// its <c>model.vocab</c>, <c>model.merges</c> (either spelling), <c>added_tokens</c>, the pre-tokenizer's regex and an NFC normalizer.
    /// </summary>
    /// <exception cref="NotSupportedException">A model, pre-tokenizer or normalizer type this library cannot reproduce.</exception>
    public static ArrakisTokenizer FromTokenizerJson(string path) =>
        FromTokenizerJson(path, SpecialTokenNames.Read(Path.GetDirectoryName(Path.GetFullPath(path))!));

    private static ArrakisTokenizer FromTokenizerJson(string path, SpecialTokenNames names)
    {
        var spec = HuggingFaceTokenizerJson.Read(path);
        var specials = new Dictionary<string, int>(spec.AddedTokens, StringComparer.Ordinal);
        var tokenizer = BuildByteLevelBpe(spec.Vocab, spec.Merges, specials, spec.Pattern, spec.Normalizer);
        var all = new Dictionary<string, int>(spec.Vocab, StringComparer.Ordinal);
        foreach (var (token, id) in specials)
            all[token] = id;
        int? eot = all.TryGetValue(Gpt2EndOfText, out int e) ? e : null;
        return Wrap(tokenizer, TokenizerKind.HuggingFaceBpe, all, specials, names, eot, eot, null);
    }

    /// <summary>A SentencePiece BPE <c>tokenizer.model</c> (Llama 1/2, Mistral, Gemma, Phi-3), without automatic BOS/EOS.</summary>
    public static ArrakisTokenizer FromSentencePiece(string path) =>
        FromSentencePiece(path, SpecialTokenNames.Read(Path.GetDirectoryName(Path.GetFullPath(path))!));

    private static ArrakisTokenizer FromSentencePiece(string path, SpecialTokenNames names)
    {
        SentencePieceTokenizer tokenizer;
        using (var stream = File.OpenRead(path))
        {
            try
            {
                tokenizer = SentencePieceTokenizer.Create(stream, false, false);
            }
            catch (Exception ex) when (ex is Google.Protobuf.InvalidProtocolBufferException or ArgumentException or InvalidOperationException)
            {
                throw new FormatException($"{path}: not a SentencePiece model this library can read ({ex.Message}).", ex);
            }
        }
        var vocab = new Dictionary<string, int>(tokenizer.Vocabulary, StringComparer.Ordinal);
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in tokenizer.SpecialTokens ?? new Dictionary<string, int>())
            specials[token] = id;
        foreach (var (token, id) in new[] { (tokenizer.BeginningOfSentenceToken, tokenizer.BeginningOfSentenceId),
                     (tokenizer.EndOfSentenceToken, tokenizer.EndOfSentenceId) })
            if (token is not null && id >= 0)
                specials[token] = id;
        int? bos = tokenizer.BeginningOfSentenceId >= 0 ? tokenizer.BeginningOfSentenceId : null;
        int? eos = tokenizer.EndOfSentenceId >= 0 ? tokenizer.EndOfSentenceId : null;
        return Wrap(tokenizer, TokenizerKind.SentencePiece, vocab, specials, names, bos, eos, null);
    }

    private static BpeTokenizer BuildByteLevelBpe(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<string> merges,
        Dictionary<string, int> specials, string pattern, Normalizer? normalizer)
    {
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), specials),
            SpecialTokens = specials.Count > 0 ? specials : null,
            Normalizer = normalizer,
        };
        return BpeTokenizer.Create(options);
    }

    private static ArrakisTokenizer Wrap(Tokenizer tokenizer, TokenizerKind kind, IReadOnlyDictionary<string, int> vocab,
        IReadOnlyDictionary<string, int> specials, SpecialTokenNames names, int? bos, int? eos, int? pad)
    {
        int? Lookup(string? token, int? id) =>
            token is not null && vocab.TryGetValue(token, out int found) ? found
            : token is not null && specials.TryGetValue(token, out int special) ? special
            : id;
        bos = Lookup(names.Bos, names.BosId ?? bos);
        eos = Lookup(names.Eos, names.EosId ?? eos);
        pad = Lookup(names.Pad, names.PadId ?? pad);
        return new ArrakisTokenizer(tokenizer, kind, vocab, specials.Keys, bos, eos, pad);
    }
}
