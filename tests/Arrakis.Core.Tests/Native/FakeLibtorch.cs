using Arrakis.Native;

namespace Arrakis.Tests.Native;

/// <summary>Fake libtorch folders: empty files with libtorch's names, and the version files installs keep beside them.</summary>
internal static class FakeLibtorch
{
    /// <summary>A Python install's <c>site-packages/torch/lib</c>, with <c>torch/version.py</c>.</summary>
    public static string PythonTorch(string root, string version, string? cuda)
    {
        string torch = Directory.CreateDirectory(Path.Combine(root, "lib", "python3.12", "site-packages", "torch")).FullName;
        File.WriteAllText(Path.Combine(torch, "version.py"),
            $"__version__ = '{version}'\ndebug = False\ncuda: Optional[str] = {(cuda is null ? "None" : $"'{cuda}'")}\n");
        return Libraries(Path.Combine(torch, "lib"), cuda is not null);
    }

    /// <summary>A folder with libtorch's library names (with CUDA ones when <paramref name="cuda"/>).</summary>
    public static string Libraries(string folder, bool cuda)
    {
        Directory.CreateDirectory(folder);
        foreach (string name in LibtorchFolder.CoreLibraries.Append("libtorch.so").Concat(cuda ? LibtorchFolder.CudaLibraries : []))
            File.WriteAllBytes(Path.Combine(folder, name), []);
        return folder;
    }
}
