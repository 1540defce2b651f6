using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;

namespace Arrakis.Scripting.Tests;

/// <summary>The CLI packs as a .NET tool, and the installed tool runs.</summary>
public sealed class PackTests
{
    [Fact]
    public async Task DotnetPack_GivesAToolPackage_ThatInstallsAnArrakisCommand()
    {
        using var dir = new TempFolder("arrakis-pack-test");
        // Pack what the test run already built (no second build racing the other test assemblies).
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var pack = await Dotnet(Repo.Root, "pack", "src/Arrakis.Cli", "--no-build", "-c", configuration, "-o", dir.File("packages"));
        Assert.True(pack.ExitCode == 0, pack.Output);
        string package = Assert.Single(Directory.GetFiles(dir.File("packages"), "Arrakis.Cli.*.nupkg"));
        using (var zip = ZipFile.OpenRead(package))
        {
            var settings = Assert.Single(zip.Entries, e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
            using var reader = new StreamReader(settings.Open());
            Assert.Contains("Command Name=\"arrakis\"", reader.ReadToEnd());
        }

        var install = await Dotnet(dir.Path, "tool", "install", "Arrakis.Cli", "--tool-path", dir.File("tools"), "--add-source", dir.File("packages"));
        Assert.True(install.ExitCode == 0, install.Output);
        string arrakis = Path.Combine(dir.File("tools"), "arrakis");
        var run = await Run(dir.Path, arrakis, "models", "--json");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("hand-built-induction", run.Output);

        // Every built-in tool plugin the CLI project deploys ships inside the package and loads in the installed command.
        var tools = await Run(dir.Path, arrakis, "tools", "--json");
        Assert.True(tools.ExitCode == 0, tools.Output);
        using var report = JsonDocument.Parse(tools.Output);
        var loaded = report.RootElement.GetProperty("plugins").EnumerateArray()
            .Where(p => p.GetProperty("status").GetString() == "Loaded" && p.GetProperty("tools").GetArrayLength() > 0)
            .Select(p => p.GetProperty("name").GetString())
            .ToHashSet();
        string[] deployed = DeployedPlugins();
        Assert.True(deployed.Length >= 8, $"expected the CLI project to deploy the built-in tool plugins, found {deployed.Length}");
        Assert.All(deployed, plugin => Assert.True(loaded.Contains(plugin), $"{plugin} is not loaded by the installed arrakis:\n{tools.Output}"));
    }

    /// <summary>The tool plugins src/Arrakis.Cli deploys (its <c>ArrakisPlugin</c> items), by project name.</summary>
    private static string[] DeployedPlugins() =>
        XDocument.Load(Path.Combine(Repo.Root, "src", "Arrakis.Cli", "Arrakis.Cli.csproj"))
            .Descendants("ArrakisPlugin")
            .Select(item => Path.GetFileNameWithoutExtension(item.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToArray();

    private static Task<(int ExitCode, string Output)> Dotnet(string workingDirectory, params string[] args) => Run(workingDirectory, "dotnet", args);

    private static async Task<(int ExitCode, string Output)> Run(string workingDirectory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await output + await error);
    }
}
