using System.Buffers.Binary;
using System.Diagnostics;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace Arrakis.Tests.Checkpoints;

/// <summary>
/// Corrupts a valid file many times (bounded, seeded) and checks that reading it either succeeds within the file's
/// size or fails with <see cref="CheckpointFormatException"/>: never another exception, a crash or a hang.
/// </summary>
public class SafetensorsFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3000;

    private static byte[] ValidFile(TempDirectory dir)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var tensors = new Dictionary<string, Tensor>
        {
            ["transformer.h.0.attn.c_attn.weight"] = randn(4, 12),
            ["transformer.h.0.attn.c_attn.bias"] = randn(12).to(ScalarType.Float16),
            ["transformer.wte.weight"] = randn(8, 4).to(ScalarType.BFloat16),
            ["ids"] = arange(5, ScalarType.Int64),
            ["ids32"] = arange(3, ScalarType.Int32),
            ["bytes"] = arange(6, ScalarType.Byte),
            ["mask"] = tensor(new[] { true, false, true }),
            ["double"] = randn(2, ScalarType.Float64),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 3),
        };
        string path = dir.File("valid.safetensors");
        SafetensorsWriter.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return File.ReadAllBytes(path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FlippedAndTruncatedFiles_OnlyEverRaiseTheProjectsException(bool memoryMap)
    {
        using var dir = new TempDirectory();
        byte[] valid = ValidFile(dir);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var random = new Random(20240601);
        string path = dir.File("fuzz.safetensors");
        int refused = 0, accepted = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Iterations; i++)
        {
            byte[] bytes = Mutate(valid, headerEnd, random, out string how);
            File.WriteAllBytes(path, bytes);
            using var scope = NewDisposeScope();
            try
            {
                using var file = SafetensorsFile.Open(path, memoryMap);
                long total = 0;
                foreach (var info in file.Tensors)
                {
                    var t = file.Load(info.Name);
                    total += t.numel() * t.element_size();
                    t.Dispose();
                }
                Assert.True(total <= bytes.Length, $"iteration {i} ({how}): loaded {total} bytes from a {bytes.Length}-byte file");
                accepted++;
            }
            catch (CheckpointFormatException ex)
            {
                Assert.StartsWith(path, ex.Message);
                refused++;
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"iteration {i} ({how}) threw {ex.GetType().Name}: {ex.Message}");
            }
        }
        output.WriteLine($"{Iterations} mutations (memoryMap: {memoryMap}): {refused} refused, {accepted} accepted, {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, SafetensorsMemoryMapTests.MappedRegions(path));
        Assert.True(refused > Iterations / 3, $"only {refused} of {Iterations} mutations were refused; the mutator is too gentle");
    }

    private static byte[] Mutate(byte[] valid, int headerEnd, Random random, out string how)
    {
        int kind = random.Next(10);
        if (kind < 2)
        {
            int length = random.Next(valid.Length);
            how = $"truncated to {length}";
            return valid[..length];
        }
        var bytes = (byte[])valid.Clone();
        if (kind == 2)
        {
            // The length field itself, which decides how everything else is read.
            int at = random.Next(8);
            bytes[at] ^= (byte)(1 << random.Next(8));
            how = $"length byte {at} bit-flipped";
            return bytes;
        }
        int flips = 1 + random.Next(kind < 6 ? 1 : 8);
        var positions = new List<int>();
        for (int f = 0; f < flips; f++)
        {
            // Mostly in the header, where the structure is; sometimes anywhere.
            int at = random.Next(4) == 0 ? random.Next(bytes.Length) : 8 + random.Next(headerEnd - 8);
            bytes[at] = random.Next(2) == 0 ? (byte)(bytes[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
            positions.Add(at);
        }
        how = $"bytes changed at {string.Join(",", positions)}";
        if (kind == 9)
        {
            int length = random.Next(bytes.Length);
            how += $", then truncated to {length}";
            return bytes[..length];
        }
        return bytes;
    }
}
