using System.Diagnostics;
using Arrakis.Scripting.Models;

namespace Arrakis.Scripting.Tests;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "arrakis-script-test") => Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;

    public string Path { get; }

    public string File(string name, string? text = null)
    {
        string path = System.IO.Path.Combine(Path, name);
        if (text is not null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllText(path, text);
        }
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>The repository's folders.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    public static string Scripts => Path.Combine(Root, "scripts");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Arrakis.Plugins.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (Arrakis.Plugins.sln) was not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One script host for the whole test run (its compile cache in a temp folder), as a long session would have.</summary>
public sealed class HostFixture : IDisposable
{
    private readonly TempFolder _cache = new("arrakis-script-cache");

    public HostFixture() => Host = new ScriptHost(new ScriptHostOptions { CacheDirectory = _cache.Path });

    public ScriptHost Host { get; }

    /// <summary>Globals over the hand-built model, writing to a string; counts model loads.</summary>
    public (ScriptGlobals Globals, StringWriter Out, Func<int> ModelLoads) Globals(string outDir, params string[] args)
    {
        var output = new StringWriter();
        int loads = 0;
        var globals = new ScriptGlobals(() => { Interlocked.Increment(ref loads); return HandBuiltInduction.Create(); },
            args: args, outDir: outDir, output: output, modelName: HandBuiltInduction.Name);
        return (globals, output, () => loads);
    }

    public void Dispose() => _cache.Dispose();
}

[CollectionDefinition(Name)]
public sealed class HostCollection : ICollectionFixture<HostFixture>
{
    public const string Name = "script host";
}

/// <summary>Runs the arrakis command as a process.</summary>
internal static class ArrakisProcess
{
    /// <summary>The apphost next to this test assembly (the CLI project is referenced, so it is built and copied).</summary>
    public static string Executable
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "arrakis.exe" : "arrakis");
            return File.Exists(path) ? path : throw new FileNotFoundException("The arrakis apphost was not copied next to the tests.", path);
        }
    }

    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }

    public static Process Start(string workingDirectory, string cacheDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["ARRAKIS_SCRIPT_CACHE"] = cacheDirectory;
        info.Environment["NO_COLOR"] = "1";
        return Process.Start(info)!;
    }

    public static async Task<Result> RunAsync(string workingDirectory, string cacheDirectory, string? input, params string[] args)
    {
        using var process = Start(workingDirectory, cacheDirectory, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Lets a test stop a script that ignores its cancellation token (so no thread spins after the test).</summary>
public static class Stopper
{
    private static volatile bool _stop;

    public static bool Stop { get => _stop; set => _stop = value; }
}
