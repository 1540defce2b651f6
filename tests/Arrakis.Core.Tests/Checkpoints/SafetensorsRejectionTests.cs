using System.Text;
using Arrakis.Checkpoints;
using static TorchSharp.torch;

namespace Arrakis.Tests.Checkpoints;

/// <summary>Every malformed header the reader must refuse, each with the message it gives.</summary>
public class SafetensorsRejectionTests
{
    private static CheckpointFormatException Refuse(byte[] bytes, string? tensor, string reason, bool onLoad = false)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<CheckpointFormatException>(() =>
        {
            using var file = SafetensorsFile.Open(path);
            Assert.True(onLoad, "Open accepted the file");
            using var scope = NewDisposeScope();
            file.LoadAll();
        });
        Assert.Equal(path, ex.FilePath);
        Assert.Equal(tensor, ex.TensorName);
        Assert.Contains(reason, ex.Reason);
        Assert.StartsWith(path + ": ", ex.Message);
        if (tensor is not null)
            Assert.Contains($"tensor '{CheckpointFormatException.Shorten(tensor)}'", ex.Message);
        return ex;
    }

    private static byte[] Bytes(string json, int data) => SafetensorsBytes.Build(json, data);

    [Fact]
    public void ShorterThanTheLengthField() =>
        Refuse([1, 2, 3], null, "too short for the 8-byte header length");

    [Fact]
    public void HeaderLengthLargerThanTheFile() =>
        Refuse(SafetensorsBytes.WithDeclaredLength(1000, Encoding.UTF8.GetBytes("{}")), null,
            "the header length is 1000 bytes but only 2 bytes follow");

    [Fact]
    public void HeaderLengthOver100MB() =>
        Refuse(SafetensorsBytes.WithDeclaredLength(200_000_000, Encoding.UTF8.GetBytes("{}")), null,
            "over the format's limit of 100000000");

    [Fact]
    public void HeaderLengthNearUInt64Max() =>
        Refuse(SafetensorsBytes.WithDeclaredLength(ulong.MaxValue, Encoding.UTF8.GetBytes("{}")), null,
            "over the format's limit");

    [Fact]
    public void InvalidJson() =>
        Refuse(Bytes("""{"a":{"dtype":"F32",""", 0), "a", "not valid JSON");

    [Fact]
    public void EmptyHeader() =>
        Refuse(Bytes("", 0), null, "not valid JSON");

    [Fact]
    public void HeaderIsNotAnObject() =>
        Refuse(Bytes("[1,2]", 0), null, "not a JSON object");

    [Fact]
    public void ContentAfterTheObject() =>
        Refuse(Bytes("{} {}", 0), null, "not valid JSON");

    [Fact]
    public void InvalidUtf8InAName()
    {
        var header = Encoding.UTF8.GetBytes("{\"a\u00ff\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}");
        int at = Array.IndexOf(header, (byte)0xC3);
        header[at] = 0xFF;
        header[at + 1] = 0xFE;
        Refuse(SafetensorsBytes.Build(header, 4), null, "not valid JSON");
    }

    [Fact]
    public void UnknownDtype() =>
        Refuse(Bytes("""{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}""", 4), "w", "unknown dtype 'F33'");

    [Fact]
    public void DtypeIsCaseSensitive() =>
        Refuse(Bytes("""{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}""", 4), "w", "unknown dtype 'f32'");

    [Fact]
    public void DtypeNotAString() =>
        Refuse(Bytes("""{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}""", 4), "w", "'dtype' is not a string");

    [Fact]
    public void OffsetsPastTheDataRegion() =>
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4), "w",
            "data_offsets [0, 8] run past the data region, which is 4 bytes");

    [Fact]
    public void OffsetsNotMatchingDtypeTimesShape() =>
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "w",
            "hold 8 bytes but F32[3] needs 12");

    [Fact]
    public void OffsetsEndBeforeTheyBegin() =>
        Refuse(Bytes("""{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}""", 4), "w", "end before they begin");

    [Fact]
    public void OffsetsWithThreeNumbers() =>
        Refuse(Bytes("""{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4,4]}}""", 4), "w", "more than 2 numbers");

    [Fact]
    public void OffsetsWithOneNumber() =>
        Refuse(Bytes("""{"w":{"dtype":"U8","shape":[4],"data_offsets":[4]}}""", 4), "w", "needs exactly 2");

    [Fact]
    public void OverlappingTensors() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12),
            "b", "overlap tensor 'a' [0, 8]");

    [Fact]
    public void TwoTensorsOnTheSameBytes() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}""", 4),
            "b", "overlap tensor 'a'");

    [Fact]
    public void GapBetweenTensors() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12),
            "b", "leave a gap of 4 bytes after tensor 'a'");

    [Fact]
    public void GapAtTheStart() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
            "a", "gap of 4 bytes after the start of the data region");

    [Fact]
    public void TrailingBytesAfterTheLastTensor() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 10),
            "a", "the data region is 10 bytes but the tensors cover only 4");

    [Fact]
    public void DuplicateNames() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
            "a", "appears twice");

    [Fact]
    public void DuplicateField() =>
        Refuse(Bytes("""{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", 4), "a", "'dtype' appears twice");

    [Fact]
    public void DuplicateMetadata() =>
        Refuse(Bytes("""{"__metadata__":{},"__metadata__":{}}""", 0), null, "two __metadata__ entries");

    [Fact]
    public void DuplicateMetadataKey() =>
        Refuse(Bytes("""{"__metadata__":{"k":"1","k":"2"}}""", 0), null, "has the key 'k' twice");

    [Fact]
    public void MetadataValueNotAString() =>
        Refuse(Bytes("""{"__metadata__":{"k":1}}""", 0), null, "entry 'k' is not a string");

    [Fact]
    public void NegativeShape() =>
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,0]}}""", 0), "w", "'shape'[0] is negative (-1)");

    [Fact]
    public void FractionalShape() =>
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}""", 0), "w", "'shape'[0] is not an integer");

    [Fact]
    public void ShapeBeyondInt64() =>
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,0]}}""", 0), "w",
            "'shape'[0] is not an integer that fits in 64 bits");

    [Fact]
    public void ShapeWhoseProductOverflows() =>
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}""", 0), "w",
            "overflows a 64-bit element count");

    [Fact]
    public void ShapeWhoseByteCountOverflows() =>
        Refuse(Bytes("""{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}""", 0), "w",
            "overflows a 64-bit byte count");

    [Fact]
    public void ShapeWithAZeroDoesNotHideAnOverflowLater() =>
        // 0 × anything is 0 bytes, a valid (empty) tensor whatever the other dimensions.
        Assert.Empty(AcceptedTensors(Bytes("""{"w":{"dtype":"F64","shape":[0,9223372036854775807],"data_offsets":[0,0]}}""", 0))
            .Single().bytes.ToArray());

    [Fact]
    public void TooManyDimensions() =>
        Refuse(Bytes($$$"""{"w":{"dtype":"U8","shape":[{{{string.Join(",", Enumerable.Repeat(1, 65))}}}],"data_offsets":[0,1]}}""", 1),
            "w", "more than 64 dimensions");

    [Fact]
    public void MissingFields()
    {
        Refuse(Bytes("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", 4), "w", "no 'dtype'");
        Refuse(Bytes("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", 4), "w", "no 'shape'");
        Refuse(Bytes("""{"w":{"dtype":"F32","shape":[1]}}""", 4), "w", "no 'data_offsets'");
    }

    [Fact]
    public void EntryNotAnObject() =>
        Refuse(Bytes("""{"w":[1,2,3]}""", 0), "w", "the entry is not a JSON object");

    [Fact]
    public void DeeplyNestedJson() =>
        Refuse(Bytes("""{"w":{"x":""" + new string('[', 10_000) + new string(']', 10_000) + "}}", 0), "w", "not valid JSON");

    [Fact]
    public void BoolBytesOtherThanZeroOrOne() =>
        Refuse(SafetensorsBytes.Build("""{"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}""", 3, fill: 2),
            "m", "a BOOL element holds a byte other than 0 or 1", onLoad: true);

    [Fact]
    public void DtypeWithoutATorchSharpType_IsListedButRefusedOnLoad() =>
        Refuse(Bytes("""{"u":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}""", 4), "u", "dtype U16 has no TorchSharp equivalent", onLoad: true);

    [Fact]
    public void UnknownFieldsAndSpacePadding_AreAccepted()
    {
        var tensors = AcceptedTensors(Bytes("""{"w":{"dtype":"I32","extra":{"x":[1]},"shape":[1],"data_offsets":[0,4]}}    """, 4));
        Assert.Equal(0, tensors.Single().item<int>());
    }

    [Fact]
    public void LongHostileNames_AreShortenedInMessages()
    {
        string name = new('n', 5000);
        var ex = Refuse(Bytes($$$"""{"{{{name}}}":{"dtype":"F33","shape":[],"data_offsets":[0,0]}}""", 0), name, "unknown dtype");
        Assert.True(ex.Message.Length < 600, ex.Message);
        Assert.Contains("(5000 characters)", ex.Message);
    }

    private static List<Tensor> AcceptedTensors(byte[] bytes)
    {
        using var dir = new TempDirectory();
        string path = dir.File("ok.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        using var file = SafetensorsFile.Open(path);
        return file.Tensors.Select(t => file.Load(t.Name)).ToList();
    }
}
