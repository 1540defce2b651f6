using System.Diagnostics;

namespace Arrakis.Native;

/// <summary>
/// Finds the <c>torch/lib</c> folder of the active Python environment's <c>torch</c> package: first by looking
/// (<c>$VIRTUAL_ENV</c>, <c>$CONDA_PREFIX</c>, then the environment of each <c>python3</c> on <c>PATH</c>), then by
/// asking <c>python3</c> where <c>torch</c> would be imported from (without importing it).
/// </summary>
public static class PythonTorchLocator
{

    /// <summary>The search with its inputs given (tests pass fake environments).</summary>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="askPython">Asks a <c>python3</c> for <c>torch</c>'s package folder; <c>null</c> skips that step.</param>
    public static string? Find(Func<string, string?> environment, Func<string?>? askPython)
    {
        var prefixes = new List<string>();
        foreach (string variable in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
        {
            if (environment(variable) is { Length: > 0 } prefix)
                prefixes.Add(prefix);
        }
        foreach (string dir in (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "python3")) && Path.GetDirectoryName(Path.GetFullPath(dir).TrimEnd('/')) is { } prefix)
                prefixes.Add(prefix);
        }
        foreach (string prefix in prefixes.Distinct())
        {
            if (InPrefix(prefix) is { } found)
                return found;
        }
        return askPython?.Invoke() is { } package && IsTorchLib(Path.Combine(package, "lib")) ? Path.Combine(package, "lib") : null;
    }

    private static string? InPrefix(string prefix)
    {
        foreach (string lib in new[] { "lib", "lib64", "local/lib" })
        {
            string root = Path.Combine(prefix, lib);
            if (!Directory.Exists(root))
                continue;
            foreach (string python in Directory.EnumerateDirectories(root, "python3*").Order(StringComparer.Ordinal))
            {
                foreach (string packages in new[] { "site-packages", "dist-packages" })
                {
                    string candidate = Path.Combine(python, packages, "torch", "lib");
                    if (IsTorchLib(candidate))
                        return candidate;
                }
            }
        }
        return null;
    }

    private static bool IsTorchLib(string folder) => File.Exists(Path.Combine(folder, "libtorch_cpu.so"));

    /// <summary>
    /// The <c>nvidia/*/lib</c> folders beside a Python <c>torch/lib</c> (the CUDA libraries PyTorch's wheels depend on),
    /// plus <c>torch.libs</c>; empty for other folders.
    /// </summary>
    public static IReadOnlyList<string> CudaLibraryFolders(string torchLib)
    {
        string sitePackages = Path.GetFullPath(Path.Combine(torchLib, "..", ".."));
        var result = new List<string>();
        string nvidia = Path.Combine(sitePackages, "nvidia");
        if (Directory.Exists(nvidia))
        {
            foreach (string package in Directory.EnumerateDirectories(nvidia).Order(StringComparer.Ordinal))
            {
                foreach (string lib in new[] { "lib", Path.Combine("cu13", "lib"), Path.Combine("cu12", "lib") })
                {
                    if (Directory.Exists(Path.Combine(package, lib)))
                        result.Add(Path.Combine(package, lib));
                }
            }
        }
        if (Directory.Exists(Path.Combine(sitePackages, "torch.libs")))
            result.Add(Path.Combine(sitePackages, "torch.libs"));
        return result;
    }

    /// <summary>Asks <c>python3</c> on <c>PATH</c> for the folder <c>import torch</c> would load (without importing it); <c>null</c> when there is none.</summary>
    public static string? AskPython()
    {
        try
        {
            var start = new ProcessStartInfo("python3", ["-c", "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start);
            if (process is null)
                return null;
            string output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return null;
            }
            return process.ExitCode == 0 && output.Trim() is { Length: > 0 } path ? path : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;  // no python3
        }
    }
}
