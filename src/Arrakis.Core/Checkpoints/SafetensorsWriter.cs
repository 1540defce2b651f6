using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Checkpoints;

/// <summary>
/// Writes <c>.safetensors</c> files (and sharded sets with a <c>model.safetensors.index.json</c>) the way Hugging Face
/// lays them out.
/// </summary>
/// <remarks>
/// Output is deterministic: tensors are written in ordinal name order (header and data alike), <c>__metadata__</c>
/// keys sorted, and the header padded with spaces so the data region starts 8-byte aligned. Every file is written to a
/// temporary file in the same folder, flushed to disk and renamed over the target, so a reader never sees a half-written
/// file and a failure leaves the previous file (if any) untouched.
/// </remarks>
public static class SafetensorsWriter
{
    private const int MaxChunkBytes = 1 << 30;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">Target file; its folder must exist.</param>
    /// <param name="tensors">Name → tensor; any device, any layout (non-contiguous tensors are copied first).</param>
    /// <param name="metadata">Optional <c>__metadata__</c> (string values only, as the format requires).</param>
    /// <exception cref="ArgumentException">A duplicate, empty or reserved name, or an element type safetensors cannot hold.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = Prepare(tensors);
        WriteAtomically(path, stream => WriteFile(stream, ordered, metadata));
    }

    /// <summary>
    /// Writes a Hugging Face style checkpoint into <paramref name="directory"/>: <c>{baseName}.safetensors</c> when
    /// everything fits in one shard of <paramref name="maxShardBytes"/>, otherwise
    /// <c>{baseName}-00001-of-0000N.safetensors</c>… plus <c>{baseName}.safetensors.index.json</c> (written last).
    /// Tensors are packed in name order; a tensor larger than the limit gets a shard of its own.
    /// </summary>
    /// <returns>The files written, index last when there is one.</returns>
    public static IReadOnlyList<string> SaveSharded(string directory, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        long maxShardBytes = 5L * 1024 * 1024 * 1024, IReadOnlyDictionary<string, string>? metadata = null,
        string baseName = "model")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return SaveSharded(directory, Prepare(tensors), maxShardBytes, metadata, baseName);
    }

    /// <summary>
    /// <see cref="SaveSharded(string, IEnumerable{KeyValuePair{string, Tensor}}, long, IReadOnlyDictionary{string, string}?, string)"/>
    /// for tensors produced one at a time while the file is written (e.g. a model's weights converted to another
    /// layout), so that at most one converted tensor exists at a time. Each producer is called once; tensors it
    /// creates are disposed after they are written.
    /// </summary>
    internal static IReadOnlyList<string> SaveSharded(string directory, IEnumerable<PendingTensor> tensors,
        long maxShardBytes, IReadOnlyDictionary<string, string>? metadata = null, string baseName = "model")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return SaveSharded(directory, Prepare(tensors), maxShardBytes, metadata, baseName);
    }

    private static IReadOnlyList<string> SaveSharded(string directory, List<Entry> ordered, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata, string baseName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardBytes, 1);
        Directory.CreateDirectory(directory);
        var shards = new List<List<Entry>>();
        long current = 0;
        foreach (var e in ordered)
        {
            if (shards.Count == 0 || (current + e.Bytes > maxShardBytes && shards[^1].Count > 0))
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(e);
            current += e.Bytes;
        }
        if (shards.Count == 0)
            shards.Add([]);

        var written = new List<string>();
        if (shards.Count == 1)
        {
            string single = Path.Combine(directory, baseName + ".safetensors");
            WriteAtomically(single, s => WriteFile(s, shards[0], metadata));
            written.Add(single);
            return written;
        }

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"{baseName}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            string full = Path.Combine(directory, file);
            var shard = shards[i];
            WriteAtomically(full, s => WriteFile(s, shard, metadata));
            written.Add(full);
            foreach (var e in shard)
                weightMap[e.Name] = file;
        }
        string index = Path.Combine(directory, baseName + ".safetensors.index.json");
        WriteAtomically(index, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteNumber("total_size", ordered.Sum(e => e.Bytes));
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var (name, file) in weightMap)
                w.WriteString(name, file);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        written.Add(index);
        return written;
    }

    private sealed record Entry(string Name, Func<Tensor> Produce, SafetensorsDtype Dtype, long[] Shape, long Bytes);

    /// <summary>A tensor to write whose data is produced only when its bytes are written.</summary>
    internal sealed record PendingTensor(string Name, ScalarType Dtype, long[] Shape, Func<Tensor> Produce);

    private static List<Entry> Prepare(IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        Prepare(tensors.Select(kv =>
        {
            var tensor = kv.Value;
            ArgumentNullException.ThrowIfNull(tensor, $"tensors['{kv.Key}']");
            return new PendingTensor(kv.Key, tensor.dtype, tensor.shape, () => tensor);
        }));

    private static List<Entry> Prepare(IEnumerable<PendingTensor> tensors)
    {
        var list = new List<Entry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, scalarType, shape, produce) in tensors)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("A tensor name is null or empty.", nameof(tensors));
            if (name == "__metadata__")
                throw new ArgumentException("'__metadata__' is reserved by the safetensors format and cannot name a tensor.", nameof(tensors));
            if (!seen.Add(name))
                throw new ArgumentException($"The tensor name '{name}' appears twice.", nameof(tensors));
            SafetensorsDtype dtype;
            try { dtype = SafetensorsDtypes.FromScalarType(scalarType); }
            catch (ArgumentException ex) { throw new ArgumentException($"Tensor '{name}': {ex.Message}", nameof(tensors), ex); }
            long elements = shape.Aggregate(1L, (a, b) => checked(a * b));
            list.Add(new Entry(name, produce, dtype, shape, elements * SafetensorsDtypes.ElementSize(dtype)));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    private static void WriteFile(Stream stream, List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; this machine is big-endian.");
        byte[] header = BuildHeader(entries, metadata);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var e in entries)
            WriteData(stream, e);
    }

    private static byte[] BuildHeader(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    w.WriteString(key, value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.Dtype.ToString());
                w.WriteStartArray("shape");
                foreach (long d in e.Shape)
                    w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.Bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.Bytes;
            }
            w.WriteEndObject();
        }
        // Pad with spaces (allowed by the format) so the data region starts at a multiple of 8.
        int length = (int)buffer.Length;
        int padded = (length + 8 + 7) / 8 * 8 - 8;
        for (int i = length; i < padded; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(Stream stream, Entry e)
    {
        if (e.Bytes == 0)
            return;
        using var scope = torch.NewDisposeScope();
        var source = e.Produce().detach();
        if (source.dtype != SafetensorsDtypes.ToScalarType(e.Dtype) || !source.shape.SequenceEqual(e.Shape))
            throw new InvalidOperationException(
                $"Tensor '{e.Name}' was announced as {e.Dtype}[{string.Join(", ", e.Shape)}] but produced {source.dtype}[{string.Join(", ", source.shape)}].");
        if (source.device_type != DeviceType.CPU)
            source = source.cpu();
        if (!source.is_contiguous())
            source = source.contiguous();
        if (e.Bytes <= MaxChunkBytes)
        {
            stream.Write(source.bytes);
            return;
        }
        int size = SafetensorsDtypes.ElementSize(e.Dtype);
        long chunkElements = MaxChunkBytes / size;
        var flat = source.view(-1);
        long total = flat.numel();
        for (long start = 0; start < total; start += chunkElements)
            stream.Write(flat.narrow(0, start, Math.Min(chunkElements, total - start)).bytes);
    }

    /// <summary>Writes through a temp file in the target's folder, flushes it to disk, then renames it over the target.</summary>
    internal static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
