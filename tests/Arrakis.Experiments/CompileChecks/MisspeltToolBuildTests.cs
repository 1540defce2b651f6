using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Arrakis.Experiments.CompileChecks;

/// <summary>
/// Builds a copy of this suite's experiments with one tool name misspelt, with the real compiler, generator and
/// analyzer (<c>dotnet build</c>), and checks the build fails with ARK001 at the misspelt name, and with nothing else.
/// </summary>
public sealed partial class MisspeltToolBuildTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("arrakis-misspelt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void MisspeltTool_FailsTheBuildWithARK001AtItsLine()
    {
        string suite = SuiteDirectory();
        foreach (string file in new[] { "Experiments/MIExperiment.cs" })
        {
            string target = Path.Combine(_dir.FullName, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(suite, file), target);
        }
        string experiments = Path.Combine(_dir.FullName, "Experiments/MIExperiment.cs");
        string source = File.ReadAllText(experiments);
        const string correct = "[UseTools(\"decomposer\"), LogExperiment]";
        int at = source.IndexOf(correct, StringComparison.Ordinal);
        Assert.True(at >= 0, "the seed 000 experiment is where this test misspells its tool");
        File.WriteAllText(experiments, source[..at] + correct.Replace("decomposer", "decomposr") + source[(at + correct.Length)..]);
        int line = source[..at].Count(c => c == '\n') + 1;
        int column = at - source.LastIndexOf('\n', at) + "[UseTools(".Length;
        File.WriteAllText(Path.Combine(_dir.FullName, "Misspelt.csproj"), Project());

        (int exitCode, string output) = Build();

        Assert.NotEqual(0, exitCode);
        Assert.Contains(
            $"Experiments/MIExperiment.cs({line},{column}): error ARK001: No tool named 'decomposr' is visible to this compilation; did you mean 'decomposer'?",
            output);
        Assert.Equal(["ARK001"], ErrorCode().Matches(output).Select(m => m.Groups[1].Value).Distinct());
    }

    /// <summary>A project over the built assemblies (no restore from the network), with the generator as analyzer.</summary>
    private static string Project()
    {
        string bin = AppContext.BaseDirectory;
        string configuration = bin.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        string generator = Path.GetFullPath(Path.Combine(SuiteDirectory(), "../../generators/Arrakis.Generators/bin", configuration, "netstandard2.0/Arrakis.Generators.dll"));
        Assert.True(File.Exists(generator), $"the generator is built before this test runs: {generator}");
        string Reference(string name) => $"""    <Reference Include="{name}" HintPath="{Path.Combine(bin, name + ".dll")}" />""";
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
            {Reference("Arrakis.Abstractions")}
            {Reference("Arrakis.Core")}
            {Reference("Arrakis.Bench")}
            {Reference("Arrakis.Tools")}
            {Reference("TorchSharp")}
                <Analyzer Include="{generator}" />
                <CompilerVisibleProperty Include="ProjectDir" />
              </ItemGroup>
            </Project>
            """;
    }

    private (int ExitCode, string Output) Build()
    {
        var start = new ProcessStartInfo("dotnet", ["build", "-nologo", "-clp:NoSummary", "-p:UseSharedCompilation=false"])
        {
            WorkingDirectory = _dir.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("dotnet build did not finish in 4 minutes");
        }
        return (process.ExitCode, (stdout.Result + stderr.Result).Replace('\\', '/'));
    }

    private static string SuiteDirectory([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, ".."));

    [GeneratedRegex(@"error (\w+\d+):")]
    private static partial Regex ErrorCode();
}
