using Arrakis.Native;

namespace Arrakis.Tests.Native;

/// <summary>
/// Which libtorch is chosen: <c>--libtorch</c> over <c>ARRAKIS_LIBTORCH</c> over a Python install found because CUDA
/// was asked for over the bundle — on fake library folders.
/// </summary>
public sealed class LibtorchSelectionTests : IDisposable
{
    private readonly TempDirectory _dir = new("arrakis-select");
    private readonly string _optionLib;
    private readonly string _variableLib;
    private readonly string _pythonCuda;
    private readonly string _pythonCpu;
    private readonly LibtorchFolder _cpuBundle;
    private readonly LibtorchFolder _cudaBundle;

    public LibtorchSelectionTests()
    {
        _optionLib = FakeLibtorch.PythonTorch(Path.Combine(_dir.Path, "option"), "2.10.0+cu128", "12.8");
        _variableLib = FakeLibtorch.PythonTorch(Path.Combine(_dir.Path, "variable"), "2.10.0", null);
        _pythonCuda = FakeLibtorch.PythonTorch(Path.Combine(_dir.Path, "venv-cuda"), "2.11.0+cu130", "13.0");
        _pythonCpu = FakeLibtorch.PythonTorch(Path.Combine(_dir.Path, "venv-cpu"), "2.11.0+cpu", null);
        _cpuBundle = new LibtorchFolder(FakeLibtorch.Libraries(Path.Combine(_dir.Path, "app"), cuda: false), LibtorchSource.Bundle, LibtorchVersion.TorchSharpBuild, null);
        _cudaBundle = new LibtorchFolder(FakeLibtorch.Libraries(Path.Combine(_dir.Path, "app-cuda"), cuda: true), LibtorchSource.Bundle, LibtorchVersion.TorchSharpBuild, null);
    }

    public void Dispose() => _dir.Dispose();

    private static Func<bool, string?> Never => _ => throw new InvalidOperationException("the Python environment must not be searched here");

    [Fact]
    public void Option_WinsOverVariable_PythonAndBundle()
    {
        var chosen = LibtorchSelection.Choose(new LibtorchRequest(_optionLib, _variableLib, DeviceChoice.Cuda), _cpuBundle, Never);
        Assert.Equal(LibtorchSource.Option, chosen.External!.Source);
        Assert.Equal(_optionLib, chosen.External.Path);
    }

    [Fact]
    public void Variable_WinsOverPythonAndBundle()
    {
        var chosen = LibtorchSelection.Choose(new LibtorchRequest(null, _variableLib, DeviceChoice.Cuda), _cpuBundle, Never);
        Assert.Equal(LibtorchSource.Environment, chosen.External!.Source);
        Assert.Equal(_variableLib, chosen.External.Path);
    }

    [Theory]
    [InlineData(DeviceChoice.Cuda)]
    [InlineData(DeviceChoice.Auto)]
    public void CudaAsked_CpuBundle_TakesThePythonInstallWithCuda(DeviceChoice device)
    {
        var chosen = LibtorchSelection.Choose(new LibtorchRequest(null, null, device), _cpuBundle, _ => _pythonCuda);
        Assert.Equal(LibtorchSource.Python, chosen.External!.Source);
        Assert.Equal(new LibtorchVersion(2, 11, 0, "cu130"), chosen.External.Version);
        Assert.Contains(chosen.Notes, n => n.Contains(_pythonCuda, StringComparison.Ordinal));
    }

    [Fact]
    public void CudaAsked_PythonInstallWithoutCuda_KeepsTheBundle_AndSaysWhy()
    {
        var chosen = LibtorchSelection.Choose(new LibtorchRequest(null, null, DeviceChoice.Cuda), _cpuBundle, _ => _pythonCpu);
        Assert.Null(chosen.External);
        Assert.Contains(chosen.Notes, n => n.Contains("no CUDA either", StringComparison.Ordinal));
    }

    [Fact]
    public void CudaAsked_NoPythonInstall_KeepsTheBundle_AndSaysWhatToDo()
    {
        var chosen = LibtorchSelection.Choose(new LibtorchRequest(null, null, DeviceChoice.Cuda), _cpuBundle, _ => null);
        Assert.Null(chosen.External);
        Assert.Contains(chosen.Notes, n => n.Contains(LibtorchRequest.Option, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(DeviceChoice.Cpu)]
    public void CudaNotAsked_TakesTheBundle_WithoutLookingForPython(DeviceChoice? device) =>
        Assert.Null(LibtorchSelection.Choose(new LibtorchRequest(null, null, device), _cpuBundle, Never).External);

    [Fact]
    public void CudaAsked_BundleWithCuda_TakesTheBundle_WithoutLookingForPython() =>
        Assert.Null(LibtorchSelection.Choose(new LibtorchRequest(null, null, DeviceChoice.Cuda), _cudaBundle, Never).External);

    [Fact]
    public void NoBundle_TakesAnyPythonInstall_EvenWithoutDeviceOrCuda()
    {
        bool thorough = false;
        var chosen = LibtorchSelection.Choose(LibtorchRequest.None, bundle: null, t => { thorough = t; return _pythonCpu; });
        Assert.Equal(_pythonCpu, chosen.External!.Path);
        Assert.True(thorough, "with no bundle the search may ask python3");
    }

    [Fact]
    public void OptionNamingNoLibtorch_IsRefused_NamingTheFolderAndTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => LibtorchSelection.Choose(new LibtorchRequest(_dir.Path, null, null), _cpuBundle, Never));
        Assert.Equal(LibtorchRequest.Option, e.ParamName);
        Assert.Contains(_dir.Path, e.Message);
    }

    [Fact]
    public void RequestParse_ReadsLibtorchAndDevice_UpToTheScriptArguments()
    {
        var request = LibtorchRequest.Parse(["run", "x.csx", "--libtorch", "/opt/torch/lib", "--device=cuda", "--", "--device", "cpu", "--libtorch", "/elsewhere"], null);
        Assert.Equal(new LibtorchRequest("/opt/torch/lib", null, DeviceChoice.Cuda), request);
        Assert.Equal(new LibtorchRequest("/a", "/b", DeviceChoice.Auto), LibtorchRequest.Parse(["--libtorch=/a", "--device", "AUTO"], "/b"));
        Assert.Equal(new LibtorchRequest(null, null, null), LibtorchRequest.Parse(["--device", "tpu"], " "));
    }

    [Fact]
    public void PythonLocator_FindsTorchInTheActiveVirtualEnvironment_ThenOnPath()
    {
        string venv = Path.Combine(_dir.Path, "venv-cuda");
        var env = new Dictionary<string, string?> { ["VIRTUAL_ENV"] = venv };
        Assert.Equal(_pythonCuda, PythonTorchLocator.Find(n => env.GetValueOrDefault(n), askPython: null));

        string bin = Directory.CreateDirectory(Path.Combine(_dir.Path, "venv-cpu", "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "python3"), "");
        var onPath = new Dictionary<string, string?> { ["PATH"] = $"/nonexistent:{bin}" };
        Assert.Equal(_pythonCpu, PythonTorchLocator.Find(n => onPath.GetValueOrDefault(n), askPython: null));
        Assert.Null(PythonTorchLocator.Find(_ => null, askPython: null));
    }
}
