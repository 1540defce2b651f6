using System.Text;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Checkpoints;

public class SafetensorsRoundTripTests
{
    public static TheoryData<ScalarType, string> AllTypes => new()
    {
        { ScalarType.Float32, "F32" }, { ScalarType.Float16, "F16" }, { ScalarType.BFloat16, "BF16" },
        { ScalarType.Float64, "F64" }, { ScalarType.Int64, "I64" }, { ScalarType.Int32, "I32" },
        { ScalarType.Byte, "U8" }, { ScalarType.Bool, "BOOL" }, { ScalarType.Int8, "I8" }, { ScalarType.Int16, "I16" },
    };

    internal static Tensor Sample(ScalarType type, params long[] shape)
    {
        var values = randn(shape, ScalarType.Float64) * 100;
        return type switch
        {
            ScalarType.Bool => values.gt(0),
            ScalarType.Byte => values.abs().remainder(256).to(type),
            ScalarType.Int8 or ScalarType.Int16 or ScalarType.Int32 or ScalarType.Int64 => values.to(type),
            _ => values.to(type),
        };
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void EveryDtype_RoundTripsBitForBit(ScalarType type, string spelled)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        manual_seed(7);
        var tensors = new Dictionary<string, Tensor>
        {
            ["matrix"] = Sample(type, 3, 5),
            ["scalar"] = Sample(type),
            ["empty"] = Sample(type, 0, 4),
            ["cube"] = Sample(type, 2, 3, 4),
        };
        string path = dir.File("t.safetensors");
        SafetensorsWriter.Save(path, tensors);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["cube", "empty", "matrix", "scalar"], file.Names.Order().ToArray());
        foreach (var (name, expected) in tensors)
        {
            var info = file.GetInfo(name);
            Assert.Equal(spelled, info.Dtype.ToString());
            Assert.Equal(expected.shape, info.Shape.ToArray());
            var loaded = file.Load(name);
            Assert.Equal(type, loaded.dtype);
            Assert.Equal(expected.shape, loaded.shape);
            Assert.Equal(DeviceType.CPU, loaded.device_type);
            Assert.Equal(expected.bytes.ToArray(), loaded.bytes.ToArray());
        }
    }

    [Fact]
    public void Load_ConvertsToTheAskedDtype()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var x = tensor(new float[] { 1.5f, -2.25f, 3f });
        SafetensorsWriter.Save(dir.File("x.safetensors"), [new("x", x)]);
        using var file = SafetensorsFile.Open(dir.File("x.safetensors"));
        var half = file.Load("x", ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, half.dtype);
        var asDouble = file.Load("x", ScalarType.Float64, CPU);
        Assert.Equal(new double[] { 1.5, -2.25, 3 }, asDouble.data<double>().ToArray());
    }

    [Fact]
    public void Writer_MatchesTheReferenceImplementationsBytes()
    {
        // What Python's safetensors.torch.save_file({"a": torch.tensor([1.0, 2.0])}, metadata={"format": "pt"}) writes:
        // compact JSON, __metadata__ first, header padded with spaces to a multiple of 8.
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        SafetensorsWriter.Save(dir.File("a.safetensors"), [new("a", tensor(new float[] { 1, 2 }))],
            new Dictionary<string, string> { ["format"] = "pt" });
        string json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        string padded = json.PadRight((json.Length + 8 + 7) / 8 * 8 - 8);
        var expected = SafetensorsBytes.Build(padded, 0).Concat(BitConverter.GetBytes(1f)).Concat(BitConverter.GetBytes(2f)).ToArray();
        Assert.Equal(expected, File.ReadAllBytes(dir.File("a.safetensors")));
    }

    [Fact]
    public void Writer_IsDeterministic_AndAlignsTheDataRegion()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        manual_seed(3);
        var a = Sample(ScalarType.Float32, 4, 4);
        var b = Sample(ScalarType.Int64, 3);
        var c = Sample(ScalarType.Bool, 5);
        SafetensorsWriter.Save(dir.File("1.safetensors"), [new("b", b), new("a", a), new("c", c)]);
        SafetensorsWriter.Save(dir.File("2.safetensors"), [new("c", c), new("b", b), new("a", a)]);
        var first = File.ReadAllBytes(dir.File("1.safetensors"));
        Assert.Equal(first, File.ReadAllBytes(dir.File("2.safetensors")));

        using var file = SafetensorsFile.Open(dir.File("1.safetensors"));
        Assert.Equal(0, file.DataStart % 8);
        Assert.Equal(["a", "b", "c"], file.Names.ToArray());
        string header = Encoding.UTF8.GetString(first, 8, (int)file.DataStart - 8);
        Assert.True(header.IndexOf("\"a\"", StringComparison.Ordinal) < header.IndexOf("\"b\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Metadata_RoundTrips()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode ✓ \"quoted\"" };
        SafetensorsWriter.Save(dir.File("m.safetensors"), [new("w", ones(2))], meta);
        using var file = SafetensorsFile.Open(dir.File("m.safetensors"));
        Assert.Equal(meta.OrderBy(kv => kv.Key), file.Metadata.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void NonContiguousInputs_AreWrittenInLogicalOrder()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var m = arange(6, ScalarType.Float32).reshape(2, 3);
        SafetensorsWriter.Save(dir.File("t.safetensors"), [new("t", m.t())]);
        using var file = SafetensorsFile.Open(dir.File("t.safetensors"));
        var loaded = file.Load("t");
        Assert.Equal(new long[] { 3, 2 }, loaded.shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, loaded.data<float>().ToArray());
    }

    [Fact]
    public void EmptyFile_WithNoTensors_RoundTrips()
    {
        using var dir = new TempDirectory();
        SafetensorsWriter.Save(dir.File("e.safetensors"), []);
        using var file = SafetensorsFile.Open(dir.File("e.safetensors"));
        Assert.Empty(file.Tensors);
    }

    [Fact]
    public void Writer_RefusesReservedDuplicateAndUnsupported()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        var x = ones(1);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Save(dir.File("x.safetensors"), [new("__metadata__", x)])).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Save(dir.File("x.safetensors"), [new("a", x), new("a", x)])).Message);
        Assert.Contains("cannot be stored", Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Save(dir.File("x.safetensors"), [new("c", ones(2, ScalarType.ComplexFloat32))])).Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void AFailedWrite_LeavesTheOldFileAndNoTempFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("keep.safetensors");
        File.WriteAllText(path, "old contents");
        var ex = Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.WriteAtomically(path, stream =>
        {
            stream.Write(new byte[4096]);
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal("disk on fire", ex.Message);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Save_ReplacesAnExistingFile()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafetensorsWriter.Save(path, [new("a", ones(3))]);
        SafetensorsWriter.Save(path, [new("b", zeros(2))]);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["b"], file.Names.ToArray());
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void ReadBytes_GivesTheRawLittleEndianBytes()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDirectory();
        SafetensorsWriter.Save(dir.File("r.safetensors"), [new("i", tensor(new int[] { 1, 258 }))]);
        using var file = SafetensorsFile.Open(dir.File("r.safetensors"));
        var buffer = new byte[8];
        file.ReadBytes("i", buffer);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 2, 1, 0, 0 }, buffer);
        Assert.Throws<KeyNotFoundException>(() => file.Load("missing"));
    }
}
