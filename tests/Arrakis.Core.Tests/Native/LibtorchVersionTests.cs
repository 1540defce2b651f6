using Arrakis.Native;
using TorchSharp;

namespace Arrakis.Tests.Native;

/// <summary>Reading libtorch versions from the places installs keep them.</summary>
public sealed class LibtorchVersionTests
{
    [Theory]
    [InlineData("2.11.0+cu130", 2, 11, 0, "cu130")]
    [InlineData("2.10.0", 2, 10, 0, null)]
    [InlineData("2.10.0.0", 2, 10, 0, null)]
    [InlineData("2.12.0a0+git1234abc", 2, 12, 0, "git1234abc")]
    [InlineData(" 1.13 ", 1, 13, 0, null)]
    [InlineData("2.11.0+cpu\n", 2, 11, 0, "cpu")]
    public void Parse_ReadsMajorMinorPatchAndLocal(string text, int major, int minor, int patch, string? local) =>
        Assert.Equal(new LibtorchVersion(major, minor, patch, local), LibtorchVersion.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("torch")]
    [InlineData("2")]
    public void Parse_RefusesText_NamingIt(string text)
    {
        var e = Assert.Throws<FormatException>(() => LibtorchVersion.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void ParseVersionPy_ReadsVersionAndCuda_AsPyTorchWritesThem()
    {
        const string cuda = "__version__ = '2.11.0+cu130'\ndebug = False\ncuda: Optional[str] = '13.0'\ngit_version = 'abc'\nhip: Optional[str] = None\n";
        Assert.Equal((new LibtorchVersion(2, 11, 0, "cu130"), "13.0"), LibtorchVersion.ParseVersionPy(cuda));
        const string cpu = "__version__ = '1.13.0a0'\ndebug = False\ncuda = None\n";
        Assert.Equal((new LibtorchVersion(1, 13, 0), (string?)null), LibtorchVersion.ParseVersionPy(cpu));
    }

    [Fact]
    public void SameMinor_IgnoresPatchAndLocal()
    {
        Assert.True(new LibtorchVersion(2, 10, 1, "cu128").SameMinor(LibtorchVersion.TorchSharpBuild));
        Assert.False(new LibtorchVersion(2, 11, 0).SameMinor(LibtorchVersion.TorchSharpBuild));
    }

    [Fact]
    public void TorchSharpBuild_IsTheVersionTorchSharpReports()
    {
        TorchNative.Ensure();
        var reported = LibtorchVersion.Parse(torch.__version__);
        Assert.True(reported.SameMinor(LibtorchVersion.TorchSharpBuild), $"TorchSharp reports libtorch {torch.__version__}; LibtorchVersion.TorchSharpBuild says {LibtorchVersion.TorchSharpBuild}");
    }
}
