using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;
using Arrakis.Bench.Tools;
using Sample.WordCount.Contracts;

namespace Arrakis.Bench.Tests.Experiments;

/// <summary>A bench whose experiment needs a tool whose plugin failed to load.</summary>
public partial class WordBench(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
{
    [UseTools("wordcount"), LogExperiment]
    public int Words(string text, IWordCount wordcount) => wordcount.Count(text).Words;
}

public sealed class MissingToolTests : IDisposable
{
    private readonly TempFolder _dir = new("arrakis-missing-tool");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Tool_of_a_plugin_that_failed_to_load_gives_a_failed_run_naming_the_plugin_and_why()
    {
        // A plugin folder whose assembly is not a .NET assembly: it fails to load, and "wordcount" is never served.
        string plugins = _dir.Combine("plugins");
        Directory.CreateDirectory(Path.Combine(plugins, "Sample.WordCount"));
        File.WriteAllBytes(Path.Combine(plugins, "Sample.WordCount", "Sample.WordCount.dll"), [1, 2, 3, 4]);
        var options = new PluginHostOptions { HotReload = false }.AddFolder(plugins);
        using var host = new PluginHost(options);
        host.Load();
        using var model = new HookedTransformer(new HookedTransformerConfig { NLayers = 1, DModel = 8, NHeads = 2, DHead = 4, DVocab = 10, NCtx = 8, AttnOnly = true });
        var bench = new WordBench(model, _dir.Combine("store"), host.Registry);

        var error = Assert.Throws<ToolUnavailableException>(() => bench.Words("a b c"));

        Assert.Equal("wordcount", error.Tool);
        Assert.Contains("plugin 'Sample.WordCount'", error.Message);
        Assert.Contains("failed to load", error.Message);
        Assert.Contains("not a valid .NET assembly", error.Message);
        Assert.DoesNotContain("Closest name", error.Message);
        var run = Assert.Single(bench.Store.ReadRuns("WordBench.Words"));
        Assert.Equal("failed", run.Status);
        Assert.Contains("plugin 'Sample.WordCount'", run.Error);
        Assert.Equal("a b c", (string)run.Arguments!["text"]!);
    }

    [Fact]
    public void Missing_tool_without_failed_plugins_still_names_the_closest_loaded_tool()
    {
        var registry = new ToolRegistry();
        var error = Assert.Throws<KeyNotFoundException>(() => registry.Get("wordcount"));
        Assert.Contains("no tools are loaded", error.Message);
    }

    [Fact]
    public void WithBuiltInTools_names_the_package_when_the_built_in_plugins_are_missing()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ToolRegistry.WithBuiltInTools(_dir.Combine("nothing-here")));
        Assert.Contains("Arrakis.Tools.BuiltIn", error.Message);
        Assert.Contains("'composer', 'decomposer', 'logit'", error.Message);
    }
}
