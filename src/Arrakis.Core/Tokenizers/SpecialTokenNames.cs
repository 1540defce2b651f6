using System.Text.Json;

namespace Arrakis.Tokenizers;

/// <summary>BOS/EOS/PAD as a Hugging Face folder names them: token strings from <c>tokenizer_config.json</c> or
/// <c>special_tokens_map.json</c>, ids from <c>config.json</c>.</summary>
internal sealed record SpecialTokenNames(string? Bos, string? Eos, string? Pad, int? BosId, int? EosId, int? PadId)
{
    public IEnumerable<string> All => new[] { Bos, Eos, Pad }.OfType<string>();

    public static SpecialTokenNames Read(string directory)
    {
        string? bos = null, eos = null, pad = null;
        foreach (string file in new[] { "tokenizer_config.json", "special_tokens_map.json" })
        {
            using var doc = TryParse(Path.Combine(directory, file));
            if (doc?.RootElement.ValueKind != JsonValueKind.Object)
                continue;
            bos ??= TokenString(doc.RootElement, "bos_token");
            eos ??= TokenString(doc.RootElement, "eos_token");
            pad ??= TokenString(doc.RootElement, "pad_token");
        }
        int? bosId = null, eosId = null, padId = null;
        using (var config = TryParse(Path.Combine(directory, "config.json")))
        {
            if (config?.RootElement.ValueKind == JsonValueKind.Object)
            {
                bosId = TokenId(config.RootElement, "bos_token_id");
                eosId = TokenId(config.RootElement, "eos_token_id");
                padId = TokenId(config.RootElement, "pad_token_id");
            }
        }
        return new SpecialTokenNames(bos, eos, pad, bosId, eosId, padId);
    }

    private static JsonDocument? TryParse(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{path}: not valid JSON ({ex.Message}).", ex);
        }
    }

    /// <summary>A token given as a string, or as an AddedToken object <c>{"content": "..."}</c>.</summary>
    private static string? TokenString(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content)
          && content.ValueKind == JsonValueKind.String ? content.GetString()
        : null;

    /// <summary>An id given as a number, or as a list of numbers (Llama 3 lists several EOS ids: the first is taken).</summary>
    private static int? TokenId(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Array)
            value = value.EnumerateArray().FirstOrDefault();
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0 ? id : null;
    }
}
