using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;

namespace Arrakis.Bench.Tests.Plugins;

/// <summary>Fault isolation: each faulty plugin is reported with its reason while the good one beside it works.</summary>
public class FaultyPluginTests(FaultyPluginsFixture faulty) : IClassFixture<FaultyPluginsFixture>
{
    private PluginHost LoadAll(out PluginLoadReport report)
    {
        var options = new PluginHostOptions { HotReload = false };
        options.AddFolder(faulty.Plugins);
        var host = new PluginHost(options);
        report = host.Load();
        return host;
    }

    [Theory]
    [InlineData("Throws", PluginFailureKind.ConstructorThrew, "the constructor of Throws threw InvalidOperationException: boom from the constructor")]
    [InlineData("NeedsHelper", PluginFailureKind.MissingDependency, "NeedsHelper references Faulty.Helper, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null, which is neither in the plugin folder nor shared by the host")]
    [InlineData("FutureApi", PluginFailureKind.IncompatibleApi, "FutureApi was built for plugin API 2.0, but this host provides plugin API 1.0")]
    [InlineData("NoApi", PluginFailureKind.IncompatibleApi, "NoApi declares no plugin API version; this host provides plugin API 1.0")]
    [InlineData("TwinB", PluginFailureKind.DuplicateToolName, "tool name 'twin' is already provided by plugin 'TwinA'")]
    [InlineData("NoTools", PluginFailureKind.NotAPlugin, "NoTools has no class implementing a contract interface marked [Arrakis.Tool(\"name\")]")]
    [InlineData("OwnContract", PluginFailureKind.InvalidTool, "OwnContract declares tool contract(s) IOwn itself")]
    [InlineData("Garbage", PluginFailureKind.NotAPlugin, "'Garbage.dll' is not a valid .NET assembly")]
    [InlineData("Native", PluginFailureKind.NotAPlugin, "'Native.dll' is not a valid .NET assembly")]
    public void Faulty_plugin_is_reported_with_its_reason(string plugin, PluginFailureKind kind, string reason)
    {
        using var host = LoadAll(out var report);

        var entry = report[plugin];
        Assert.True(entry is not null, report.ToString());
        Assert.True(entry.Status == PluginStatus.Failed && entry.Failure == kind, $"{plugin}: expected {kind}\n{report}");
        Assert.Contains(reason, entry.Reason);
        Assert.Null(entry.Version);
        Assert.Empty(entry.Tools);
    }

    [Fact]
    public void Good_plugins_beside_the_faulty_ones_load_and_work()
    {
        using var host = LoadAll(out var report);

        Assert.Equal(["Good", "TwinA"], report.Plugins.Where(p => p.Status == PluginStatus.Loaded).Select(p => p.Name));
        Assert.Equal(["probe", "twin"], host.Registry.Names);
        Assert.Equal("good", ToolCalls.Invoke(host.Registry, "probe", "Probe"));
        Assert.Equal("twin a", ToolCalls.Invoke(host.Registry, "twin", "Probe"));
        Assert.Equal(11, report.Plugins.Count);
        Assert.Equal(9, report.Failed.Count());
    }

    [Fact]
    public void Unknown_tool_name_lists_loaded_tools_and_the_closest_name()
    {
        using var host = LoadAll(out _);

        var error = Assert.Throws<KeyNotFoundException>(() => host.Registry.Get("twins"));

        Assert.Equal("No tool named 'twins'. Closest name: 'twin'. Loaded tools: probe, twin.", error.Message);
    }

    [Fact]
    public void Report_reads_as_text()
    {
        using var host = LoadAll(out var report);

        var text = report.ToString();

        Assert.Contains($"folder {faulty.Plugins} (Code): Scanned", text);
        Assert.Contains("Good: Loaded 1.0.0 (build ", text);
        Assert.Contains("tools [probe]", text);
        Assert.Contains("Throws: Failed — ConstructorThrew: the constructor of Throws threw InvalidOperationException: boom from the constructor", text);
    }
}
