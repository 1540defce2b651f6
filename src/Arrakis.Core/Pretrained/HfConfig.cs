using System.Text.Json;
using Arrakis.Checkpoints;

namespace Arrakis.Pretrained;

/// <summary>
/// Typed reads from a Hugging Face <c>config.json</c>. A field that is absent or <c>null</c> counts as not set (the
/// family then uses Hugging Face's own default); a field of the wrong JSON type is a <see cref="CheckpointFormatException"/>
/// naming the file, the field and the value.
/// </summary>
internal sealed class HfConfig(JsonElement root, string path)
{
    /// <summary>The config file (for messages).</summary>
    public string Path { get; } = path;

    /// <summary>The JSON object.</summary>
    public JsonElement Root { get; } = root;

    /// <summary>The value of a field that is present and not null.</summary>
    public JsonElement? Get(string name) =>
        Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>Whether a field is present at all (possibly as an explicit <c>null</c>).</summary>
    public bool Present(string name) => Root.TryGetProperty(name, out _);

    /// <summary>Whether a field is present and not null.</summary>
    public bool Has(string name) => Get(name) is not null;

    /// <summary>The first of <paramref name="names"/> that is set, as an integer.</summary>
    /// <exception cref="CheckpointFormatException">None is set, or the value is not an integer.</exception>
    public int Int(params string[] names) =>
        names.Select(n => OptInt(n)).FirstOrDefault(v => v is not null)
        ?? throw Error(names.Length == 1
            ? $"'{names[0]}' is not set; it is needed to build the model"
            : $"none of {string.Join(", ", names.Select(n => $"'{n}'"))} is set; one is needed to build the model");

    /// <summary>The first of <paramref name="names"/> that is set, as an integer, or null.</summary>
    public int? OptInt(params string[] names)
    {
        foreach (string name in names)
        {
            if (Get(name) is not { } value)
                continue;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result))
                return result;
            throw Error($"'{name}' is {Show(value)}; expected an integer");
        }
        return null;
    }

    /// <summary>The first of <paramref name="names"/> that is set, as a number, or null.</summary>
    public double? OptDouble(params string[] names)
    {
        foreach (string name in names)
        {
            if (Get(name) is not { } value)
                continue;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double result) && double.IsFinite(result))
                return result;
            throw Error($"'{name}' is {Show(value)}; expected a number");
        }
        return null;
    }

    /// <summary>A boolean field, or null.</summary>
    public bool? OptBool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { } other => throw Error($"'{name}' is {Show(other)}; expected true or false"),
    };

    /// <summary>A string field, or null.</summary>
    public string? OptString(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { } other => throw Error($"'{name}' is {Show(other)}; expected a string"),
    };

    /// <summary>An error about this config file.</summary>
    public CheckpointFormatException Error(string reason) => new(Path, null, reason);

    /// <summary>A JSON value as quoted in messages (shortened).</summary>
    public static string Show(JsonElement value) => CheckpointFormatException.Shorten(value.GetRawText(), 80);
}
