using TorchSharp;

namespace Arrakis.Tests.Devices;

/// <summary>Asking for CUDA without one, and parsing <c>--dtype</c>.</summary>
public sealed class DeviceAndDtypeTests
{
    [Fact]
    public void CudaWithoutAGpu_FailsNamingBothWaysToGetOne()
    {
        Arrakis.Native.TorchNative.Ensure();
        if (torch.cuda.is_available())
            return;  // this machine has a GPU: nothing to refuse
        var e = Assert.Throws<InvalidOperationException>(() => DeviceResolver.Resolve(DeviceChoice.Cuda));
        Assert.Contains("installed PyTorch with CUDA", e.Message);
        Assert.Contains("--libtorch", e.Message);
        Assert.Contains("ARRAKIS_LIBTORCH", e.Message);
        Assert.Contains("TorchSharp-cuda-linux", e.Message);
        Assert.Contains("has no CUDA", e.Message);
    }

    [Theory]
    [InlineData("float32", torch.ScalarType.Float32)]
    [InlineData("BF16", torch.ScalarType.BFloat16)]
    [InlineData("bfloat16", torch.ScalarType.BFloat16)]
    [InlineData(" float16", torch.ScalarType.Float16)]
    public void Dtype_ParsesTheAcceptedSpellings(string text, torch.ScalarType expected) => Assert.Equal(expected, DtypeResolver.Parse(text));

    [Fact]
    public void Dtype_RefusesOthers_NamingArgumentValueAndAccepted()
    {
        var e = Assert.Throws<ArgumentException>(() => DtypeResolver.Parse("int8", "--dtype"));
        Assert.Equal("--dtype", e.ParamName);
        Assert.Contains("'int8'", e.Message);
        Assert.Contains(DtypeResolver.Accepted, e.Message);
    }
}
