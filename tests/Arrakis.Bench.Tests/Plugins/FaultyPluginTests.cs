using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;

namespace Arrakis.Bench.Tests.Plugins;

/// <summary>Fault isolation: each faulty plugin is reported with its reason while the good one beside it works.</summary>
public class FaultyPluginTests(FaultyPluginsFixture faulty) : IClassFixture<FaultyPluginsFixture>
{
    /// <summary>Loads every plugin and constructs every tool (as <c>arrakis tools</c> does), constructors waited for 1 s.</summary>
    private PluginHost LoadAll(out PluginLoadReport report)
    {
        var host = Host(TimeSpan.FromSeconds(1));
        host.Load();
        report = host.ConstructTools();
        return host;
    }

    private PluginHost Host(TimeSpan constructionTimeout)
    {
        var options = new PluginHostOptions { HotReload = false, ToolConstructionTimeout = constructionTimeout };
        options.AddFolder(faulty.Plugins);
        return new PluginHost(options);
    }

    [Theory]
    [InlineData("Throws", PluginFailureKind.ConstructorThrew, "the constructor of Throws threw InvalidOperationException: boom from the constructor")]
    [InlineData("Hangs", PluginFailureKind.ConstructorTimedOut, "the constructor of Hangs did not return within 1 s")]
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
        Assert.Equal(12, report.Plugins.Count);
        Assert.Equal(10, report.Failed.Count());
    }

    [Fact]
    public void Unknown_tool_name_lists_loaded_tools_and_the_closest_name()
    {
        using var host = LoadAll(out _);

        var error = Assert.Throws<KeyNotFoundException>(() => host.Registry.Get("twins"));

        Assert.StartsWith("No tool named 'twins'. Closest name: 'twin'. Loaded tools: probe, twin. 10 plugins failed to load, which may be where it comes from: ", error.Message);
        Assert.Contains("plugin 'Throws' (", error.Message);
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

    [Fact]
    public void Tools_are_constructed_on_first_use_so_a_blocking_constructor_delays_only_its_callers()
    {
        using var host = Host(TimeSpan.FromSeconds(30));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = host.Load();
        Assert.Equal("good", ToolCalls.Invoke(host.Registry, "probe", "Probe"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"loading and calling a good tool took {clock.Elapsed}: a blocking constructor (20 s) was waited for");

        // Honest before construction: loaded, tools listed, not constructed yet.
        var hangs = report["Hangs"]!;
        Assert.Equal((PluginStatus.Loaded, false), (hangs.Status, hangs.ToolsConstructed));
        Assert.Contains("Hangs: Loaded", report.ToString());
        Assert.Contains("tools [hangs] (not constructed yet)", report.ToString());
        Assert.True(host.Report["Good"]!.ToolsConstructed);
    }

    [Fact]
    public void A_constructor_that_throws_fails_on_first_use_then_the_report_and_the_lookup_say_why()
    {
        using var host = Host(TimeSpan.FromSeconds(5));
        Assert.Equal(PluginStatus.Loaded, host.Load()["Throws"]!.Status);

        var first = Assert.Throws<InvalidOperationException>(() => host.Registry.Get("throws"));
        Assert.Equal("the constructor of Throws threw InvalidOperationException: boom from the constructor", first.Message);

        var entry = host.Report["Throws"]!;
        Assert.Equal((PluginStatus.Failed, PluginFailureKind.ConstructorThrew), (entry.Status, entry.Failure));
        Assert.Empty(entry.Tools);
        Assert.DoesNotContain("throws", host.Registry.Names);
        var later = Assert.Throws<KeyNotFoundException>(() => host.Registry.Get("throws"));
        Assert.StartsWith("Tool 'throws' is not available: plugin 'Throws' failed: the constructor of Throws threw InvalidOperationException", later.Message);
    }

    [Fact]
    public void A_constructor_that_hangs_is_reported_as_timed_out_and_not_waited_for_again()
    {
        using var host = Host(TimeSpan.FromSeconds(1));
        host.Load();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<InvalidOperationException>(() => host.Registry.Get("hangs"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"the lookup waited {clock.Elapsed}");
        Assert.Contains("did not return within 1 s", error.Message);
        Assert.Equal(PluginFailureKind.ConstructorTimedOut, host.Report["Hangs"]!.Failure);
        clock.Restart();
        Assert.Throws<KeyNotFoundException>(() => host.Registry.Get("hangs"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the second lookup waited {clock.Elapsed}");
    }
}
