using System.Diagnostics;
using Arrakis.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Native;

public class TorchSmokeTests
{
    [Fact]
    public void Ensure_LoadsTheNativeLibrary_AndReportsHow()
    {
        var status = TorchNative.Ensure();
        Assert.NotNull(status.LibraryPath);
        Assert.True(File.Exists(status.LibraryPath));
        Assert.Same(status, TorchNative.Ensure());
    }

    [Fact]
    public void Matmul_GivesTheHandComputedProduct()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(2, 3);
        var b = tensor(new float[] { 7, 8, 9, 10, 11, 12 }).reshape(3, 2);
        var c = a.matmul(b);
        Assert.Equal(new long[] { 2, 2 }, c.shape);
        Assert.Equal(new float[] { 58, 64, 139, 154 }, c.data<float>().ToArray());
    }

    [Fact]
    public void LinearModuleForward_EqualsItsWeightsTimesInputPlusBias()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var layer = nn.Linear(4, 3);
        var x = randn(5, 4);
        var expected = x.matmul(layer.weight!.t()) + layer.bias!;
        var actual = layer.call(x);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void ConcurrentEnsure_ReturnsOneStatus()
    {
        var statuses = Enumerable.Range(0, 16).AsParallel().Select(_ => TorchNative.Ensure()).Distinct().ToList();
        Assert.Single(statuses);
    }

    [Fact]
    public void TorchSharpsOwnFallbackCopy_NeverAppears()
    {
        TorchNative.Ensure();
        using (var _ = ones(1)) { }
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "cpu")),
            "TorchSharp copied its natives into a cpu/ folder: its own loader failed, so Arrakis's did not bind.");
    }

    [Fact]
    public void OutputFolderNatives_AreLinksNotCopies()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string lib = Path.Combine(AppContext.BaseDirectory, "libtorch_cpu.so");
        Assert.True(File.Exists(lib), $"{lib} should be deployed beside the tests");
        bool symlink = new FileInfo(lib).LinkTarget is not null;
        Assert.True(symlink || HardLinkCount(lib) > 1, $"{lib} is a real copy (neither a symbolic nor a hard link)");
    }

    private static int HardLinkCount(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-L", "-c", "%h", path]) { RedirectStandardOutput = true })!;
        string output = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return int.Parse(output.Trim());
    }
}
