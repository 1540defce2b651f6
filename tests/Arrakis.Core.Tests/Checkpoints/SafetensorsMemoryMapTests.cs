using System.Security.Cryptography;
using System.Text;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Checkpoints;

/// <summary>
/// <see cref="SafetensorsFile"/> opened with <c>memoryMap: true</c>: tensors are views of a private mapping of the file
/// (checked in <c>/proc/self/maps</c>), equal to copied loads, editable without touching the file, and unmapped when the
/// last tensor using them is disposed.
/// </summary>
public class SafetensorsMemoryMapTests
{
    public static TheoryData<ScalarType, string> AllTypes => SafetensorsRoundTripTests.AllTypes;

    /// <summary>Mappings of <paramref name="path"/> in this process (a deleted file is listed with " (deleted)").</summary>
    internal static int MappedRegions(string path) =>
        File.ReadLines("/proc/self/maps").Count(l => l.EndsWith(" " + path, StringComparison.Ordinal)
                                                     || l.EndsWith(" " + path + " (deleted)", StringComparison.Ordinal));

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string WriteSample(TempDirectory dir, ScalarType type = ScalarType.Float32, string name = "m.safetensors")
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        string path = dir.File(name);
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor>
        {
            ["a"] = SafetensorsRoundTripTests.Sample(type, 64, 33),
            ["b"] = SafetensorsRoundTripTests.Sample(type, 7),
            ["scalar"] = SafetensorsRoundTripTests.Sample(type),
            ["empty"] = SafetensorsRoundTripTests.Sample(type, 0, 5),
        });
        return path;
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void EveryDtype_MappedLoadEqualsCopiedLoad_AndIsBackedByTheFile(ScalarType type, string spelled)
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir, type);
        using (var scope = NewDisposeScope())
        {
            using var copied = SafetensorsFile.Open(path);
            using var mapped = SafetensorsFile.Open(path, memoryMap: true);
            Assert.True(mapped.MemoryMapped);
            Assert.False(copied.MemoryMapped);
            foreach (var info in copied.Tensors)
            {
                var expected = copied.Load(info.Name);
                var actual = mapped.Load(info.Name);
                Assert.Equal(type, actual.dtype);
                Assert.Equal(expected.shape, actual.shape);
                Assert.Equal(DeviceType.CPU, actual.device_type);
                Assert.True(actual.is_contiguous());
                Assert.Equal(expected.bytes.ToArray(), actual.bytes.ToArray());
            }
            Assert.True(MappedRegions(path) >= 1, $"{spelled}: no mapping of {path} while mapped tensors are alive");
        }
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void InPlaceEdits_ChangeTheTensorButNeverTheFile()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        string before = Hash(path);
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(path, memoryMap: true);
        var a = file.Load("a");
        var original = a.clone();
        using (no_grad())
            a.mul_(-2).add_(1);
        Assert.True(a.eq(original * -2 + 1).all().item<bool>());
        Assert.Equal(before, Hash(path));
        using var fresh = SafetensorsFile.Open(path, memoryMap: true);
        Assert.True(fresh.Load("a").eq(original).all().item<bool>(), "a second mapping of the file sees the edit: it was written through");
    }

    [Fact]
    public void Mapping_OutlivesTheFileObject_AndIsUnmappedWithTheLastTensor()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        Tensor a, b;
        using (var file = SafetensorsFile.Open(path, memoryMap: true))
        {
            a = file.Load("a");
            b = file.Load("b");
        }
        Assert.True(MappedRegions(path) >= 1);
        using (var copy = SafetensorsFile.Open(path))
        using (var expected = copy.Load("a"))
            Assert.True(a.eq(expected).all().item<bool>());
        a.Dispose();
        Assert.True(MappedRegions(path) >= 1, "disposing one tensor unmapped the file under another");
        b.Dispose();
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void RepeatedMappedLoads_LeaveNoMappingBehind()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        for (int i = 0; i < 200; i++)
        {
            using var scope = NewDisposeScope();
            using var file = SafetensorsFile.Open(path, memoryMap: true);
            foreach (var t in file.LoadAll().Values)
                Assert.True(t.numel() >= 0);
        }
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void DeletedFile_StaysReadableThroughItsTensors_UntilTheyAreDisposed()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        Tensor expected;
        using (var copy = SafetensorsFile.Open(path))
            expected = copy.Load("a");
        var file = SafetensorsFile.Open(path, memoryMap: true);
        var a = file.Load("a");
        file.Dispose();
        File.Delete(path);
        Assert.True(a.eq(expected).all().item<bool>());
        Assert.Equal(1, MappedRegions(path));
        a.Dispose();
        expected.Dispose();
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void PathReplacedAfterOpen_StillMapsTheFileWhoseHeaderWasValidated()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        using var scope = NewDisposeScope();
        Tensor expected;
        using (var copy = SafetensorsFile.Open(path))
            expected = copy.Load("a");
        using var file = SafetensorsFile.Open(path, memoryMap: true);
        // Another writer renames a different (smaller, differently laid out) file over the path.
        string other = dir.File("other.safetensors");
        SafetensorsWriter.Save(other, new Dictionary<string, Tensor> { ["x"] = ones(2) });
        File.Move(other, path, overwrite: true);
        Assert.True(file.Load("a").eq(expected).all().item<bool>());
    }

    [Fact]
    public void ConversionOrEmptyTensor_FallsBackToACopy()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(path, memoryMap: true);
        var asDouble = file.Load("a", ScalarType.Float64);
        var empty = file.Load("empty");
        Assert.Equal(ScalarType.Float64, asDouble.dtype);
        Assert.Equal(new long[] { 0, 5 }, empty.shape);
        Assert.Equal(0, MappedRegions(path));
        using var copy = SafetensorsFile.Open(path);
        Assert.True(asDouble.eq(copy.Load("a").to(ScalarType.Float64)).all().item<bool>());
    }

    [Fact]
    public void UnalignedTensor_FallsBackToACopy_WithTheSameValues()
    {
        using var dir = new TempDirectory();
        // A 58-byte header (no padding): data starts at byte 66, not a multiple of 4, so F32 cannot be a view.
        string header = """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""";
        header = header.PadRight(58);
        var bytes = SafetensorsBytes.Build(header, 12);
        float[] values = [1.5f, -2.25f, 1e-3f];
        Buffer.BlockCopy(values, 0, bytes, 8 + 58, 12);
        string path = dir.File("unaligned.safetensors");
        File.WriteAllBytes(path, bytes);

        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(path, memoryMap: true);
        var w = file.Load("w");
        Assert.Equal(values, w.data<float>().ToArray());
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void BoolByteOtherThanZeroOrOne_IsRefusedWhenMapped()
    {
        using var dir = new TempDirectory();
        string header = """{"mask":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]}}""";
        header = header.PadRight((header.Length + 7) / 8 * 8);
        var bytes = SafetensorsBytes.Build(Encoding.UTF8.GetBytes(header), 4, fill: 1);
        bytes[^2] = 2;
        string path = dir.File("bool.safetensors");
        File.WriteAllBytes(path, bytes);

        using var file = SafetensorsFile.Open(path, memoryMap: true);
        var error = Assert.Throws<CheckpointFormatException>(() => file.Load("mask"));
        Assert.Equal($"{path}: tensor 'mask': a BOOL element holds a byte other than 0 or 1", error.Message);
        file.Dispose();
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void TryMapInto_PointsAParameterAtTheFile_OrLeavesItForACopy()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        using var scope = NewDisposeScope();
        using var copy = SafetensorsFile.Open(path);
        var expected = copy.Load("a");
        var parameter = new TorchSharp.Modules.Parameter(zeros(33, 64));
        using (var file = SafetensorsFile.Open(path, memoryMap: true))
        {
            Assert.True(file.TryMapInto("a", parameter));
            Assert.False(file.TryMapInto("b", zeros(7, ScalarType.Float64)));
            Assert.False(file.TryMapInto("empty", zeros(0, 5)));
            Assert.Throws<ArgumentException>(() => file.TryMapInto("b", zeros(8)));
        }
        Assert.False(copy.TryMapInto("a", zeros(64, 33)));
        Assert.Equal(new long[] { 33, 64 }, parameter.shape);
        Assert.True(parameter.requires_grad);
        Assert.True(parameter.eq(expected.view(33, 64)).all().item<bool>());
        Assert.Equal(1, MappedRegions(path));
        parameter.Dispose();
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void FileTruncatedBeforeTheFirstMappedLoad_IsTheProjectsException_NotACrash()
    {
        using var dir = new TempDirectory();
        string path = WriteSample(dir);
        using var file = SafetensorsFile.Open(path, memoryMap: true);
        // Another process shortens the file after its header was validated but before anything was mapped.
        using (var truncate = System.Diagnostics.Process.Start("truncate", ["-s", "100", path]))
            truncate.WaitForExit();
        Assert.Equal(100, new FileInfo(path).Length);

        var error = Assert.Throws<CheckpointFormatException>(() => file.Load("a"));
        Assert.StartsWith($"{path}: tensor 'a': the file could not be memory-mapped (", error.Message);
        Assert.Equal(0, MappedRegions(path));
    }

    [Fact]
    public void ShardedFolder_IsMappedShardByShard()
    {
        using var dir = new TempDirectory();
        using var scope = NewDisposeScope();
        manual_seed(5);
        var tensors = Enumerable.Range(0, 4).ToDictionary(i => $"w{i}", _ => randn(32, 32));
        var shards = SafetensorsWriter.SaveSharded(dir.Path, tensors, maxShardBytes: 2 * 32 * 32 * 4);
        Assert.True(shards.Count >= 2, $"expected several shards, got {shards.Count}");

        using (var folder = CheckpointFolder.Open(dir.Path, memoryMap: true))
        {
            Assert.True(folder.MemoryMapped);
            Assert.All(folder.Files, f => Assert.True(f.MemoryMapped));
            foreach (var (name, expected) in tensors)
                Assert.True(folder.Load(name).eq(expected).all().item<bool>(), name);
            Assert.All(folder.Files, f => Assert.True(MappedRegions(f.Path) == 1, $"{f.Path} is not mapped once"));
        }
        using (var copied = CheckpointFolder.Open(dir.Path))
            Assert.False(copied.MemoryMapped);
    }
}
