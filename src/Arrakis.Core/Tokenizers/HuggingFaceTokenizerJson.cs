using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Arrakis.Tokenizers;

/// <summary>
/// Reads the parts of a Hugging Face <c>tokenizer.json</c> that a byte-level BPE tokenizer needs, and refuses (with
/// <see cref="NotSupportedException"/>) the settings Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> cannot reproduce.
/// </summary>
internal static class HuggingFaceTokenizerJson
{
    public sealed record Spec(
        Dictionary<string, int> Vocab,
        List<string> Merges,
        Dictionary<string, int> AddedTokens,
        string Pattern,
        Normalizer? Normalizer);

    public static Spec Read(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{path}: not valid JSON ({ex.Message}).", ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{path}: no 'model' object.");
            string type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
            if (type != "BPE")
                throw new NotSupportedException(
                    $"{path}: model type '{type}' is not supported; Arrakis reads byte-level BPE tokenizer.json files " +
                    "(use the folder's tokenizer.model for SentencePiece models).");
            if (Flag(model, "byte_fallback"))
                throw new NotSupportedException(
                    $"{path}: a BPE model with byte_fallback (a SentencePiece model converted to tokenizer.json) is not " +
                    "supported here; load the folder's tokenizer.model instead.");
            if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
                throw new NotSupportedException($"{path}: BPE dropout is not supported.");

            var (pattern, addPrefixSpace) = PreTokenizer(root, path);
            var normalizer = BuildNormalizer(root, path, addPrefixSpace);

            if (!model.TryGetProperty("vocab", out var vocabElement) || vocabElement.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{path}: model.vocab is not an object.");
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocabElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                    throw new FormatException($"{path}: model.vocab['{entry.Name}'] is not a non-negative integer id.");
                vocab[entry.Name] = id;
            }

            var merges = new List<string>();
            if (model.TryGetProperty("merges", out var mergesElement))
            {
                if (mergesElement.ValueKind != JsonValueKind.Array)
                    throw new FormatException($"{path}: model.merges is not an array.");
                foreach (var merge in mergesElement.EnumerateArray())
                {
                    // Older files write "a b"; newer ones (tokenizers >= 0.20) write ["a", "b"].
                    if (merge.ValueKind == JsonValueKind.String)
                        merges.Add(merge.GetString()!);
                    else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                             && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                        merges.Add(merge[0].GetString() + " " + merge[1].GetString());
                    else
                        throw new FormatException($"{path}: model.merges[{merges.Count}] is neither \"a b\" nor [\"a\", \"b\"].");
                }
            }

            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var addedElement) && addedElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in addedElement.EnumerateArray())
                {
                    if (token.ValueKind == JsonValueKind.Object
                        && token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                        && token.TryGetProperty("id", out var idElement) && idElement.TryGetInt32(out int id))
                        added[content.GetString()!] = id;
                    else
                        throw new FormatException($"{path}: an added_tokens entry lacks 'content' or 'id'.");
                }
            }
            return new Spec(vocab, merges, added, pattern, normalizer);
        }
    }

    private static bool Flag(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    /// <summary>The split regex: ByteLevel's own (GPT-2's) when use_regex, else the pattern of a Split before it.</summary>
    private static (string Pattern, bool AddPrefixSpace) PreTokenizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
            throw new NotSupportedException($"{path}: no pre_tokenizer; only byte-level BPE tokenizer.json files are supported.");
        var steps = TypeOf(pre) == "Sequence" && pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().ToList()
            : [pre];
        string? pattern = null;
        bool byteLevel = false, addPrefixSpace = false;
        foreach (var step in steps)
        {
            switch (TypeOf(step))
            {
                case "ByteLevel":
                    byteLevel = true;
                    addPrefixSpace = Flag(step, "add_prefix_space");
                    bool useRegex = !step.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
                    if (useRegex)
                    {
                        if (pattern is not null)
                            throw new NotSupportedException($"{path}: a Split and a ByteLevel regex both split the text; only one is supported.");
                        pattern = TokenizerLoader.Gpt2Pattern;
                    }
                    break;
                case "Split":
                    if (pattern is not null)
                        throw new NotSupportedException($"{path}: more than one splitting pre-tokenizer; only one is supported.");
                    if (!step.TryGetProperty("pattern", out var p) || !p.TryGetProperty("Regex", out var regex) || regex.ValueKind != JsonValueKind.String)
                        throw new NotSupportedException($"{path}: a Split pre-tokenizer without a Regex pattern is not supported.");
                    string behavior = step.TryGetProperty("behavior", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "Isolated";
                    if (behavior != "Isolated" || Flag(step, "invert"))
                        throw new NotSupportedException($"{path}: Split behavior '{behavior}' (invert: {Flag(step, "invert")}) is not supported; only Isolated.");
                    pattern = regex.GetString()!;
                    break;
                default:
                    throw new NotSupportedException($"{path}: pre-tokenizer '{TypeOf(step)}' is not supported (ByteLevel and Split are).");
            }
        }
        if (!byteLevel)
            throw new NotSupportedException($"{path}: the pre-tokenizer is not byte-level; only byte-level BPE tokenizer.json files are supported.");
        return (pattern ?? TokenizerLoader.Gpt2Pattern, addPrefixSpace);
    }

    private static Normalizer? BuildNormalizer(JsonElement root, string path, bool addPrefixSpace)
    {
        var forms = new List<NormalizationForm>();
        if (root.TryGetProperty("normalizer", out var n) && n.ValueKind == JsonValueKind.Object)
        {
            var steps = TypeOf(n) == "Sequence" && n.TryGetProperty("normalizers", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().ToList()
                : [n];
            foreach (var step in steps)
            {
                forms.Add(TypeOf(step) switch
                {
                    "NFC" => NormalizationForm.FormC,
                    "NFD" => NormalizationForm.FormD,
                    "NFKC" => NormalizationForm.FormKC,
                    "NFKD" => NormalizationForm.FormKD,
                    var other => throw new NotSupportedException($"{path}: normalizer '{other}' is not supported (NFC, NFD, NFKC, NFKD are)."),
                });
            }
        }
        return forms.Count == 0 && !addPrefixSpace ? null : new UnicodeNormalizer(forms, addPrefixSpace);
    }

    private static string? TypeOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    /// <summary>Unicode normalisation forms applied in order, then ByteLevel's add_prefix_space.</summary>
    private sealed class UnicodeNormalizer(List<NormalizationForm> forms, bool addPrefixSpace) : Normalizer
    {
        public override string Normalize(string original)
        {
            string text = original;
            foreach (var form in forms)
                text = text.Normalize(form);
            return addPrefixSpace && !text.StartsWith(' ') ? " " + text : text;
        }

        public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
    }
}
