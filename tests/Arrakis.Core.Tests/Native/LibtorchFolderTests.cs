using Arrakis.Native;

namespace Arrakis.Tests.Native;

/// <summary><see cref="LibtorchFolder.Inspect"/> on fake install layouts.</summary>
public sealed class LibtorchFolderTests : IDisposable
{
    private readonly TempDirectory _dir = new("arrakis-libtorch");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void PythonTorchLib_TakesVersionAndCudaFromVersionPy()
    {
        string lib = FakeLibtorch.PythonTorch(_dir.Path, "2.11.0+cu130", "13.0");
        var folder = LibtorchFolder.Inspect(lib, LibtorchSource.Option);
        Assert.Equal(new LibtorchVersion(2, 11, 0, "cu130"), folder.Version);
        Assert.Equal("13.0", folder.CudaVersion);
        Assert.True(folder.HasCuda);
        Assert.Equal(["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"], folder.LoadOrder.Select(Path.GetFileName));
    }

    [Fact]
    public void LibtorchDownload_TakesVersionFromBuildVersion()
    {
        string lib = FakeLibtorch.Libraries(Path.Combine(_dir.Path, "libtorch", "lib"), cuda: false);
        File.WriteAllText(Path.Combine(_dir.Path, "libtorch", "build-version"), "2.10.0+cpu\n");
        var folder = LibtorchFolder.Inspect(lib, LibtorchSource.Environment);
        Assert.Equal(new LibtorchVersion(2, 10, 0, "cpu"), folder.Version);
        Assert.Null(folder.CudaVersion);
        Assert.False(folder.HasCuda);
    }

    [Fact]
    public void NuGetPackageFolder_TakesVersionFromItsPath()
    {
        string lib = FakeLibtorch.Libraries(Path.Combine(_dir.Path, "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native"), cuda: false);
        Assert.Equal(new LibtorchVersion(2, 10, 0), LibtorchFolder.Inspect(lib, LibtorchSource.Option).Version);
    }

    [Fact]
    public void FolderWithoutVersionFiles_HasAnUnknownVersion()
    {
        string lib = FakeLibtorch.Libraries(Path.Combine(_dir.Path, "somewhere"), cuda: false);
        Assert.Null(LibtorchFolder.Inspect(lib, LibtorchSource.Option).Version);
    }

    [Fact]
    public void MissingFolder_IsRefused_NamingItAndTheOption()
    {
        string missing = Path.Combine(_dir.Path, "nope");
        var e = Assert.Throws<ArgumentException>(() => LibtorchFolder.Inspect(missing, LibtorchSource.Option, LibtorchRequest.Option));
        Assert.Contains(missing, e.Message);
        Assert.Equal(LibtorchRequest.Option, e.ParamName);
    }

    [Fact]
    public void FolderWithoutLibtorchCpu_IsRefused_SayingWhatWasExpected()
    {
        var e = Assert.Throws<ArgumentException>(() => LibtorchFolder.Inspect(_dir.Path, LibtorchSource.Environment, LibtorchRequest.Variable));
        Assert.Contains("libtorch_cpu.so", e.Message);
        Assert.Contains(_dir.Path, e.Message);
        Assert.Equal(LibtorchRequest.Variable, e.ParamName);
    }
}
