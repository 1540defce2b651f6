using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Checkpoints;

/// <summary>
/// Copy-on-write memory mappings of one open safetensors file, one per element type, from which tensors are cut as
/// views: the tensor's storage is the file's pages, not a copy of them.
/// </summary>
/// <remarks>
/// <para>Each mapping is libtorch's own <c>torch.from_file(path, shared: false, size, dtype)</c>: the file is opened
/// read-only and mapped <c>MAP_PRIVATE</c> with <c>PROT_READ | PROT_WRITE</c> (PyTorch's <c>MapAllocator</c>), so writing
/// to a tensor copies the touched page privately and never reaches the file. The mapping is the storage of a 1-D tensor
/// of <c>⌊file length / element size⌋</c> elements; every tensor handed out is <c>narrow</c> + <c>view</c> of it, so it
/// shares that storage, and libtorch unmaps the file when the last tensor using it is disposed (storage reference count),
/// not when this object is.</para>
/// <para>TorchSharp 0.107 has no <c>Tensor.view(dtype)</c>, and <c>from_file</c> has no offset, so a tensor of element size
/// <c>E</c> can be cut only when its offset from the start of the file is a multiple of <c>E</c> (which also makes its data
/// pointer <c>E</c>-aligned: the mapping starts on a page). Files whose header is padded to 8 bytes, as Hugging Face's and
/// <see cref="SafetensorsWriter"/>'s are, satisfy this for every tensor; <see cref="TryView"/> returns null otherwise.</para>
/// <para>On Linux the file is mapped through <c>/proc/self/fd/N</c> of the handle the header was read and validated from,
/// so the mapping is of the very same file even if the path has been replaced since; elsewhere it is mapped by path.</para>
/// </remarks>
internal sealed class SafetensorsMapping : IDisposable
{
    private readonly string _path;
    private readonly SafeFileHandle _handle;
    private readonly long _fileLength;
    private readonly Dictionary<ScalarType, Tensor> _byType = [];

    public SafetensorsMapping(string path, SafeFileHandle handle, long fileLength)
    {
        _path = path;
        _handle = handle;
        _fileLength = fileLength;
    }

    /// <summary>
    /// A CPU tensor of <paramref name="info"/>'s dtype and shape whose storage is the mapped file, or null when its offset
    /// is not a multiple of its element size. The caller owns (and disposes) the tensor.
    /// </summary>
    /// <param name="dataStart">Where the data region starts in the file (8 + header length).</param>
    /// <exception cref="CheckpointFormatException">The file cannot be mapped (e.g. it has become shorter since it was opened).</exception>
    public Tensor? TryView(SafetensorsTensorInfo info, ScalarType type, long dataStart)
    {
        long size = SafetensorsDtypes.ElementSize(info.Dtype);
        long offset = dataStart + info.DataBegin;
        if (offset % size != 0)
            return null;
        // Copying loads (positioned reads) are safe from several threads; the lock keeps mapped loads so.
        lock (_byType)
        {
            var mapping = _byType.TryGetValue(type, out var existing) ? existing : Map(type, size, info.Name);
            // The header was validated against the file length the mapping covers: offset + bytes <= _fileLength.
            using var flat = mapping.narrow(0, offset / size, info.ElementCount);
            return flat.view(info.ShapeArray());
        }
    }

    private Tensor Map(ScalarType type, long elementSize, string tensorName)
    {
        string source = OperatingSystem.IsLinux() ? $"/proc/self/fd/{_handle.DangerousGetHandle()}" : _path;
        Tensor mapping;
        try
        {
            mapping = torch.from_file(source, shared: false, size: _fileLength / elementSize, dtype: type);
        }
        catch (ExternalException ex)
        {
            throw new CheckpointFormatException(_path, tensorName,
                $"the file could not be memory-mapped ({ex.Message.Split('\n')[0].Trim()}); was it truncated after it was opened?", ex);
        }
        _byType.Add(type, mapping);
        return mapping;
    }

    /// <summary>Drops this object's references; mappings still used by loaded tensors stay until those are disposed.</summary>
    public void Dispose()
    {
        lock (_byType)
        {
            foreach (var t in _byType.Values)
                t.Dispose();
            _byType.Clear();
        }
    }
}
