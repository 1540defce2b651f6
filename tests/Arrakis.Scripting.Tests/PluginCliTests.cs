using System.Text.Json;

namespace Arrakis.Scripting.Tests;

/// <summary>Scripts and the tools report with a real plugin (Sample.WordCount, deployed as a built-in plugin of the command).</summary>
public sealed class PluginCliTests : IDisposable
{
    private readonly TempFolder _dir = new("arrakis-plugin-cli-test");

    public void Dispose() => _dir.Dispose();

    private string Cache => Path.Combine(_dir.Path, ".cache");

    [Fact]
    public async Task Tools_ReportsThePluginItsToolAndVersion()
    {
        string empty = _dir.File("empty");
        Directory.CreateDirectory(empty);
        var r = await ArrakisProcess.RunAsync(_dir.Path, Cache, null, "tools", "--plugins", empty, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var json = JsonDocument.Parse(r.Out);
        var folders = json.RootElement.GetProperty("folders").EnumerateArray().ToList();
        Assert.Contains(folders, f => f.GetProperty("path").GetString() == empty && f.GetProperty("source").GetString() == "CommandLine");
        var plugin = Assert.Single(json.RootElement.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("name").GetString() == "Sample.WordCount");
        Assert.Equal("Loaded", plugin.GetProperty("status").GetString());
        Assert.Equal("wordcount", plugin.GetProperty("tools")[0].GetProperty("name").GetString());

        var table = await ArrakisProcess.RunAsync(_dir.Path, Cache, null, "tools");
        Assert.Contains("wordcount", table.Out);
        Assert.Contains("Loaded", table.Out);
    }

    [Fact]
    public async Task AScript_UsesAPluginTool_ThroughUseTools_WithItsContractReferencedForIt()
    {
        _dir.File("wc.csx", """
            using Sample.WordCount.Contracts;

            public partial class Text(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
            {
                [UseTools("wordcount"), LogExperiment]
                public int Words(string text, IWordCount counter) => counter.Count(text).Words;
            }

            Out.WriteLine($"typed: {Tools.Get<IWordCount>("wordcount").Count("a b a", top: 1).Top[0].Word}");
            Out.WriteLine($"experiment: {new Text(Model, OutDir, Tools).Words("one two three")}");
            """);
        var r = await ArrakisProcess.RunAsync(_dir.Path, Cache, null, "run", "wc.csx", "--out", "exps");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("typed: a", r.Out);
        Assert.Contains("experiment: 3", r.Out);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "exps", "Text.Words", "runs.jsonl"))); // {Type}.{Method}

        // A misspelt tool is checked against the plugin's contracts, before anything runs.
        File.WriteAllText(_dir.File("wc.csx"), File.ReadAllText(_dir.File("wc.csx")).Replace("[UseTools(\"wordcount\")", "[UseTools(\"wordcont\")"));
        var bad = await ArrakisProcess.RunAsync(_dir.Path, Cache, null, "run", "wc.csx");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("error ARK001: No tool named 'wordcont' is visible to this compilation; did you mean 'wordcount'?", bad.Error);
        Assert.Equal("", bad.Out);
    }

    [Fact]
    public async Task Tools_Exits4_WhenAListedPluginFailed_AndStillPrintsTheReport()
    {
        string folder = _dir.File("broken-plugins");
        Directory.CreateDirectory(Path.Combine(folder, "Broken"));
        File.WriteAllBytes(Path.Combine(folder, "Broken", "Broken.dll"), Enumerable.Range(0, 512).Select(i => (byte)(i * 31)).ToArray());

        var json = await ArrakisProcess.RunAsync(_dir.Path, Cache, null, "tools", "--plugins", folder, "--json");
        Assert.Equal(4, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        var broken = Assert.Single(doc.RootElement.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("name").GetString() == "Broken");
        Assert.Equal("Failed", broken.GetProperty("status").GetString());

        var table = await ArrakisProcess.RunAsync(_dir.Path, Cache, null, "tools", "--plugins", folder);
        Assert.Equal(4, table.ExitCode);
        Assert.Contains("1 plugin(s) failed to load: Broken (exit 4)", table.Error);
    }

    [Fact]
    public async Task AFailedHotReload_IsPrintedWhenItHappens_AndTheReportShowsIt()
    {
        string folder = _dir.File("hot");
        string plugin = Path.Combine(folder, "Sample.WordCount");
        Directory.CreateDirectory(plugin);
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "plugins", "Sample.WordCount")))
            File.Copy(file, Path.Combine(plugin, Path.GetFileName(file)));
        var error = new StringWriter();
        using var host = Arrakis.Cli.Plugins.Load([folder], warn: true, TextWriter.Synchronized(error));
        Assert.Equal(Arrakis.Bench.Plugins.PluginStatus.Loaded, host.Report["Sample.WordCount"]!.Status);
        var globals = new ScriptGlobals(() => HandBuiltInduction.Create(), tools: host.Registry, pluginReport: () => host.Report);

        File.Delete(Path.Combine(plugin, "Sample.WordCount.dll"));

        await ScriptHostTests.WaitFor(() => error.ToString().Contains("plugin Sample.WordCount changed and failed"));
        Assert.Contains("(still serving 1.0.0", error.ToString());
        Assert.Contains("AssemblyDeleted", error.ToString());
        var report = globals.Tools.Report!["Sample.WordCount"]!;
        Assert.Equal((Arrakis.Bench.Plugins.PluginStatus.ServingPreviousVersion, Arrakis.Bench.Plugins.PluginFailureKind.AssemblyDeleted), (report.Status, report.Failure));
    }
}
