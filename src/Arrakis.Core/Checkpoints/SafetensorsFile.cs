using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Checkpoints;

/// <summary>
/// An open <c>.safetensors</c> file: its validated header, and tensors loaded on demand.
/// </summary>
/// <remarks>
/// <para><see cref="Open"/> reads only the 8-byte length and the JSON header, and validates all of it before returning
/// (see <see cref="CheckpointFormatException"/> for what is refused). Every tensor's byte range is then known to lie
/// inside the file and to match its dtype and shape, so <see cref="Load"/> allocates at most what the file holds.</para>
/// <para><see cref="Load"/> reads a tensor's bytes with positioned reads straight into the storage of a freshly
/// allocated CPU tensor: one copy from the page cache, no managed buffer, and nothing mapped into the process, so peak
/// memory is the tensors themselves. The file stays open (shared for reading) until <see cref="Dispose"/>.</para>
/// <para>Opened with <c>memoryMap: true</c>, <see cref="Load"/> instead returns tensors backed by a copy-on-write mapping
/// of the file (see <see cref="MemoryMapped"/>): nothing is read or copied until the data is used.</para>
/// <para>Safetensors is little-endian; on a big-endian machine <see cref="Load"/> refuses rather than swap.</para>
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Largest single positioned read (a <see cref="Span{T}"/> is int-indexed).</summary>
    private const int MaxChunkBytes = 1 << 30;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private readonly SafetensorsMapping? _mapping;

    private SafetensorsFile(string path, SafeFileHandle handle, long fileLength, long dataStart,
        IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, bool memoryMap)
    {
        Path = path;
        _handle = handle;
        _mapping = memoryMap ? new SafetensorsMapping(path, handle, fileLength) : null;
        FileLength = fileLength;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The file's length in bytes when it was opened.</summary>
    public long FileLength { get; }

    /// <summary>Where the data region starts: 8 + the header length.</summary>
    public long DataStart { get; }

    /// <summary>All tensors, in the order of their bytes in the file.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The tensor names, in the order of their bytes in the file.</summary>
    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    /// <summary>
    /// Whether the file was opened with <c>memoryMap: true</c>. Then <see cref="Load"/> without a conversion returns a
    /// CPU tensor whose storage is a private (copy-on-write) mapping of the file instead of a copy: loading touches no
    /// data, pages are read from the page cache when first used, and in-place edits of the tensor (weight processing,
    /// training) copy the edited pages into the process and never write to the file. The mapping stays alive while any
    /// tensor cut from it is alive (also after <see cref="Dispose"/>) and is unmapped when the last one is disposed.
    /// </summary>
    /// <remarks>
    /// Falls back to the copying read, per tensor, when a dtype or device conversion is asked for, when the tensor's file
    /// offset is not a multiple of its element size, or when it is empty. A mapped file must not be truncated or rewritten
    /// in place by another process while tensors use it: pages not yet touched would show the new bytes, and reading past
    /// a truncated end kills the process with SIGBUS. Deleting or replacing it (a new file renamed over the path) is safe.
    /// All tensors loaded from one mapped file share one private mapping: loading the same name twice gives two tensors
    /// over the same memory, so an in-place edit of one shows in the other (copied loads are independent).
    /// </remarks>
    public bool MemoryMapped => _mapping is not null;

    /// <summary>The optional <c>__metadata__</c> entries (empty when the file has none), sorted by key.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of one tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name; the message names the file.</exception>
    public SafetensorsTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{Path}: there is no tensor named '{CheckpointFormatException.Shorten(name)}'.");

    /// <summary>Opens a file and validates its header; the data is read later, by <see cref="Load"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="memoryMap">Back loaded tensors by a copy-on-write mapping of the file instead of copying them (see
    /// <see cref="MemoryMapped"/>). Nothing is mapped before the whole header has been validated.</param>
    /// <exception cref="CheckpointFormatException">The file is not a well-formed safetensors file.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static SafetensorsFile Open(string path, bool memoryMap = false)
    {
        string full = System.IO.Path.GetFullPath(path);
        var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length < 8)
                throw new CheckpointFormatException(full, null,
                    $"the file is {length} bytes, too short for the 8-byte header length that starts every safetensors file");
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(handle, prefix, 0, full, null);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw new CheckpointFormatException(full, null,
                    $"the header length is {headerLength} bytes, over the format's limit of {SafetensorsHeader.MaxHeaderBytes}");
            if ((long)headerLength > length - 8)
                throw new CheckpointFormatException(full, null,
                    $"the header length is {headerLength} bytes but only {length - 8} bytes follow the length field");
            // headerLength <= file length - 8 and <= 100 MB, so this allocation is bounded by the file.
            var header = new byte[(int)headerLength];
            ReadExactly(handle, header, 8, full, null);
            long dataStart = 8 + (long)headerLength;
            var parsed = SafetensorsHeader.Parse(header, length - dataStart, full);
            return new SafetensorsFile(full, handle, length, dataStart, parsed.Tensors, parsed.Metadata, memoryMap);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads one tensor. Without <paramref name="dtype"/> and <paramref name="device"/> it is a CPU tensor of the file's
    /// own type (backed by the file's pages when <see cref="MemoryMapped"/>); with them it is converted (on the target
    /// device when that is not the CPU).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    /// <exception cref="CheckpointFormatException">
    /// The dtype has no TorchSharp equivalent (U16, U32, U64, F8_*), a BOOL tensor holds a byte other than 0 or 1,
    /// or the file has become shorter since it was opened.
    /// </exception>
    public Tensor Load(string name, ScalarType? dtype = null, Device? device = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = GetInfo(name);
        var type = info.ScalarType ?? throw new CheckpointFormatException(Path, name,
            $"dtype {info.Dtype} has no TorchSharp equivalent (TorchSharp 0.107 has no unsigned 16/32/64-bit or 8-bit float tensors)");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; this machine is big-endian.");

        bool asStored = (dtype is null || dtype == type) && (device is null || device.type == DeviceType.CPU);
        if (asStored && TryMap(info, type) is { } mapped)
            return mapped;
        var tensor = torch.empty(info.ShapeArray(), type, torch.CPU);
        try
        {
            ReadInto(tensor, info);
            if (asStored)
                return tensor;
            var converted = tensor.to(dtype ?? type, device ?? torch.CPU);
            if (!ReferenceEquals(converted, tensor))
                tensor.Dispose();
            return converted;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a tensor straight into an existing tensor (e.g. a model parameter), so loading a model needs no second copy
    /// of its weights. The destination must have the same shape. When it is a contiguous CPU tensor of the file's dtype
    /// the bytes go directly into its storage; otherwise the tensor is loaded and copied in (converting dtype/device).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ; the message names the tensor and both shapes.</exception>
    public void LoadInto(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = GetInfo(name);
        if (!destination.shape.SequenceEqual(info.Shape))
            throw new ArgumentException(
                $"{Path}: tensor '{name}' is [{string.Join(", ", info.Shape)}] but the destination is [{string.Join(", ", destination.shape)}].",
                nameof(destination));
        if (info.ScalarType == destination.dtype && destination.device_type == DeviceType.CPU && destination.is_contiguous())
        {
            using var _ = torch.no_grad();
            ReadInto(destination, info);
            return;
        }
        using var loaded = Load(name);
        using (torch.no_grad())
            destination.copy_(loaded);
    }

    /// <summary>
    /// When the file is <see cref="MemoryMapped"/>, points an existing tensor (a model parameter) at the file's pages
    /// instead of copying into it, and returns true; returns false, changing nothing, when that is not possible (not
    /// mapped; destination not a CPU tensor of the file's dtype; unaligned or empty tensor), so the caller can
    /// <see cref="LoadInto"/> instead.
    /// </summary>
    /// <remarks>
    /// The destination's storage is replaced (<c>set_</c> under <c>no_grad</c>), so it must own its storage: a view of
    /// another tensor would be detached from that tensor rather than filled. Its shape is kept; the element counts must
    /// match. Autograd settings (<c>requires_grad</c>) are unchanged.
    /// </remarks>
    /// <exception cref="ArgumentException">The element counts differ; the message names the tensor and both shapes.</exception>
    public bool TryMapInto(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = GetInfo(name);
        if (destination.numel() != info.ElementCount)
            throw new ArgumentException(
                $"{Path}: tensor '{name}' is [{string.Join(", ", info.Shape)}] but the destination is [{string.Join(", ", destination.shape)}].",
                nameof(destination));
        if (_mapping is null || info.ScalarType != destination.dtype || destination.device_type != DeviceType.CPU
            || !BitConverter.IsLittleEndian)
            return false;
        using var mapped = TryMap(info, info.ScalarType.Value);
        if (mapped is null)
            return false;
        using var shaped = mapped.view(destination.shape);
        Util.StorageSwap.Into(destination, shaped);
        return true;
    }

    /// <summary>Loads every tensor (see <see cref="Load"/>), keyed by name.</summary>
    public Dictionary<string, Tensor> LoadAll(ScalarType? dtype = null, Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in Tensors)
                result.Add(info.Name, Load(info.Name, dtype, device));
            return result;
        }
        catch
        {
            foreach (var t in result.Values)
                t.Dispose();
            throw;
        }
    }

    /// <summary>Copies a tensor's raw little-endian bytes into <paramref name="destination"/>, which must be exactly its size.</summary>
    public void ReadBytes(string name, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = GetInfo(name);
        if (destination.Length != info.ByteLength)
            throw new ArgumentException($"The destination is {destination.Length} bytes; tensor '{name}' is {info.ByteLength}.", nameof(destination));
        ReadExactly(_handle, destination, DataStart + info.DataBegin, Path, name);
    }

    /// <summary>A view of the mapped file, or null when not mapped, empty or unaligned. BOOL bytes are checked as when read.</summary>
    private Tensor? TryMap(SafetensorsTensorInfo info, ScalarType type)
    {
        if (_mapping is null || info.ByteLength == 0)
            return null;
        var view = _mapping.TryView(info, type, DataStart);
        if (view is null || info.Dtype != SafetensorsDtype.BOOL)
            return view;
        try
        {
            using var flat = view.view(-1);
            for (long start = 0; start < info.ElementCount; start += MaxChunkBytes)
            {
                using var part = flat.narrow(0, start, Math.Min(MaxChunkBytes, info.ElementCount - start));
                CheckBooleans(part.bytes, info);
            }
            return view;
        }
        catch
        {
            view.Dispose();
            throw;
        }
    }

    private void ReadInto(Tensor tensor, SafetensorsTensorInfo info)
    {
        if (info.ByteLength == 0)
            return;
        long offset = DataStart + info.DataBegin;
        if (info.ByteLength <= MaxChunkBytes)
        {
            var span = tensor.bytes;
            ReadExactly(_handle, span, offset, Path, info.Name);
            CheckBooleans(span, info);
            return;
        }
        // Larger than one span: read through 1-D views of the same storage.
        int size = SafetensorsDtypes.ElementSize(info.Dtype);
        long chunkElements = MaxChunkBytes / size;
        using var flat = tensor.view(-1);
        for (long start = 0; start < info.ElementCount; start += chunkElements)
        {
            long count = Math.Min(chunkElements, info.ElementCount - start);
            using var part = flat.narrow(0, start, count);
            var span = part.bytes;
            ReadExactly(_handle, span, offset + start * size, Path, info.Name);
            CheckBooleans(span, info);
        }
    }

    /// <summary>libtorch assumes bool storage holds only 0 and 1; any other byte is undefined behaviour in its kernels.</summary>
    private void CheckBooleans(ReadOnlySpan<byte> bytes, SafetensorsTensorInfo info)
    {
        if (info.Dtype == SafetensorsDtype.BOOL && bytes.IndexOfAnyExceptInRange((byte)0, (byte)1) >= 0)
            throw new CheckpointFormatException(Path, info.Name, "a BOOL element holds a byte other than 0 or 1");
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path, string? tensor)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n <= 0)
                throw new CheckpointFormatException(path, tensor,
                    $"the file ends at byte {offset + done}, before the {buffer.Length} bytes at offset {offset} " +
                    "(was it truncated after it was opened?)");
            done += n;
        }
    }

    /// <summary>
    /// Closes the file. Tensors already loaded stay valid: copied ones own their memory, mapped ones keep their mapping
    /// alive until they are disposed.
    /// </summary>
    public void Dispose()
    {
        _mapping?.Dispose();
        _handle.Dispose();
    }
}
