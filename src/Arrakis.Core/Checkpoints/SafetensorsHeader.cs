using System.Text.Json;

namespace Arrakis.Checkpoints;

/// <summary>
/// Parses and validates a safetensors JSON header with a forward-only <see cref="Utf8JsonReader"/>: no document tree,
/// so no allocation grows faster than the header itself, and duplicate keys are seen (a DOM would keep the last).
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>The format's own limit on the header (the reference implementation's <c>MAX_HEADER_SIZE</c>).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>No real checkpoint comes near this; it bounds what a hostile shape can ask of libtorch.</summary>
    public const int MaxRank = 64;

    private const string MetadataKey = "__metadata__";

    public readonly record struct Parsed(
        IReadOnlyList<SafetensorsTensorInfo> Tensors,
        IReadOnlyDictionary<string, string> Metadata);

    /// <param name="json">The header bytes.</param>
    /// <param name="dataLength">Bytes after the header: the data region every offset must lie in.</param>
    /// <param name="file">The file's path, for messages.</param>
    public static Parsed Parse(ReadOnlySpan<byte> json, long dataLength, string file)
    {
        var tensors = new List<SafetensorsTensorInfo>();
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
                MaxDepth = 64,
            });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Fail(file, null, "the header is not a JSON object");
            while (true)
            {
                Next(ref reader, file, null);
                if (reader.TokenType == JsonTokenType.EndObject)
                    break;
                string key = reader.GetString()!;
                current = key;
                if (!names.Add(key))
                    throw Fail(file, key == MetadataKey ? null : key,
                        key == MetadataKey ? "the header has two __metadata__ entries" : "the name appears twice in the header");
                Next(ref reader, file, key);
                if (key == MetadataKey)
                {
                    current = null;
                    ReadMetadata(ref reader, metadata, file);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, key, dataLength, file));
                }
                current = null;
            }
            // Only whitespace may follow the object (the format pads the header with spaces).
            if (reader.Read())
                throw Fail(file, null, "the header has content after its JSON object");
        }
        catch (JsonException ex)
        {
            throw new CheckpointFormatException(file, current, $"the header is not valid JSON ({ex.Message})", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader.GetString on text that is not valid UTF-8, and similar reader misuse by a hostile token.
            throw new CheckpointFormatException(file, current, $"the header is not valid JSON ({ex.Message})", ex);
        }

        CheckLayout(tensors, dataLength, file);
        return new Parsed(tensors, metadata);
    }

    private static void Next(ref Utf8JsonReader reader, string file, string? tensor)
    {
        if (!reader.Read())
            throw Fail(file, tensor, "the header is not valid JSON (it ends early)");
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, SortedDictionary<string, string> metadata, string file)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(file, null, "__metadata__ is not a JSON object");
        while (true)
        {
            Next(ref reader, file, null);
            if (reader.TokenType == JsonTokenType.EndObject)
                return;
            string key = reader.GetString()!;
            Next(ref reader, file, null);
            if (reader.TokenType != JsonTokenType.String)
                throw Fail(file, null, $"__metadata__ entry '{Printable(key)}' is not a string (the format allows only string values)");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Fail(file, null, $"__metadata__ has the key '{Printable(key)}' twice");
        }
    }

    private static SafetensorsTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long dataLength, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(file, name, "the entry is not a JSON object");
        string? dtypeText = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (true)
        {
            Next(ref reader, file, name);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            string field = reader.GetString()!;
            Next(ref reader, file, name);
            switch (field)
            {
                case "dtype":
                    if (dtypeText is not null)
                        throw Fail(file, name, "'dtype' appears twice");
                    if (reader.TokenType != JsonTokenType.String)
                        throw Fail(file, name, "'dtype' is not a string");
                    dtypeText = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null)
                        throw Fail(file, name, "'shape' appears twice");
                    shape = ReadIntegers(ref reader, file, name, "shape", MaxRank);
                    break;
                case "data_offsets":
                    if (offsets is not null)
                        throw Fail(file, name, "'data_offsets' appears twice");
                    offsets = ReadIntegers(ref reader, file, name, "data_offsets", 2);
                    break;
                default:
                    // Other writers may add fields; the reference reader ignores them too.
                    reader.Skip();
                    break;
            }
        }

        if (dtypeText is null)
            throw Fail(file, name, "the entry has no 'dtype'");
        if (shape is null)
            throw Fail(file, name, "the entry has no 'shape'");
        if (offsets is null)
            throw Fail(file, name, "the entry has no 'data_offsets'");
        if (!SafetensorsDtypes.TryParse(dtypeText, out var dtype))
            throw Fail(file, name, $"unknown dtype '{Printable(dtypeText)}' (known: {string.Join(", ", Enum.GetNames<SafetensorsDtype>())})");
        if (offsets.Count != 2)
            throw Fail(file, name, $"'data_offsets' has {offsets.Count} numbers; it needs exactly 2 [begin, end]");

        long elements = 1;
        foreach (long dim in shape)
        {
            // dims are already known to be >= 0
            if (dim != 0 && elements > long.MaxValue / dim)
                throw Fail(file, name, $"shape [{string.Join(", ", shape)}] overflows a 64-bit element count");
            elements *= dim;
        }
        int size = SafetensorsDtypes.ElementSize(dtype);
        if (elements > long.MaxValue / size)
            throw Fail(file, name, $"shape [{string.Join(", ", shape)}] of {dtype} overflows a 64-bit byte count");
        long bytes = elements * size;

        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw Fail(file, name, $"data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength)
            throw Fail(file, name, $"data_offsets [{begin}, {end}] run past the data region, which is {dataLength} bytes");
        if (end - begin != bytes)
            throw Fail(file, name,
                $"data_offsets [{begin}, {end}] hold {end - begin} bytes but {dtype}[{string.Join(", ", shape)}] needs {bytes}");
        return new SafetensorsTensorInfo(name, dtype, shape.ToArray(), elements, begin, end);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string file, string name, string field, int maxCount)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Fail(file, name, $"'{field}' is not a JSON array");
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, file, name);
            if (reader.TokenType == JsonTokenType.EndArray)
                return values;
            if (values.Count == maxCount)
                throw Fail(file, name, field == "shape"
                    ? $"'shape' has more than {maxCount} dimensions"
                    : $"'{field}' has more than {maxCount} numbers");
            if (reader.TokenType != JsonTokenType.Number)
                throw Fail(file, name, $"'{field}'[{values.Count}] is not a number");
            if (!reader.TryGetInt64(out long value))
                throw Fail(file, name, $"'{field}'[{values.Count}] is not an integer that fits in 64 bits");
            if (value < 0)
                throw Fail(file, name, $"'{field}'[{values.Count}] is negative ({value})");
            values.Add(value);
        }
    }

    /// <summary>Tensors must tile the data region exactly: sorted by offset, no overlap, no gap, nothing left over.</summary>
    private static void CheckLayout(List<SafetensorsTensorInfo> tensors, long dataLength, string file)
    {
        var ordered = tensors.OrderBy(t => t.DataBegin).ThenBy(t => t.DataEnd).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        long expected = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in ordered)
        {
            if (t.DataBegin < expected)
                throw Fail(file, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] overlap tensor '{CheckpointFormatException.Shorten(previous!.Name)}' [{previous.DataBegin}, {previous.DataEnd}]");
            if (t.DataBegin > expected)
                throw Fail(file, t.Name,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] leave a gap of {t.DataBegin - expected} bytes after " +
                    (previous is null ? "the start of the data region" : $"tensor '{CheckpointFormatException.Shorten(previous.Name)}'") + " (tensors must be contiguous)");
            expected = t.DataEnd;
            previous = t;
        }
        if (expected != dataLength)
            throw Fail(file, previous?.Name,
                $"the data region is {dataLength} bytes but the tensors cover only {expected} (trailing bytes after the last tensor)");
        tensors.Clear();
        tensors.AddRange(ordered);
    }

    private static CheckpointFormatException Fail(string file, string? tensor, string reason) => new(file, tensor, reason);

    private static string Printable(string text) => CheckpointFormatException.Shorten(text, 64);
}
