using System.Runtime.Loader;
using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;
using Sample.WordCount.Contracts;

namespace Arrakis.Bench.Tests.Plugins;

/// <summary>The sample third-party plugin (plugins/Sample.WordCount), deployed as a built-in plugin beside this host.</summary>
public class SamplePluginTests
{
    private static PluginHost BuiltInOnly()
    {
        var options = PluginHostOptions.Resolve(environment: _ => null, configFile: null);
        options.HotReload = false;
        return new PluginHost(options);
    }

    [Fact]
    public void Built_in_plugins_folder_is_beside_the_host()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "plugins"), PluginHostOptions.BuiltInFolder);
        Assert.True(File.Exists(Path.Combine(PluginHostOptions.BuiltInFolder, "Sample.WordCount", "Sample.WordCount.dll")),
            "the test project deploys the sample plugin as a built-in plugin");
    }

    [Fact]
    public void Sample_plugin_loads_by_default_and_is_called_through_its_contract()
    {
        using var host = BuiltInOnly();

        var report = host.Load();

        var plugin = report["Sample.WordCount"];
        Assert.NotNull(plugin);
        Assert.True(plugin.Status == PluginStatus.Loaded, report.ToString());
        Assert.Equal(PluginFolderSource.BuiltIn, plugin.Source);
        Assert.Equal("1.0.0", plugin.Version!.AssemblyVersion);
        Assert.Equal(1, plugin.Version.Generation);
        var tool = Assert.Single(plugin.Tools);
        Assert.Equal(("wordcount", typeof(IWordCount), "Sample.WordCount.WordCountTool"), (tool.Name, tool.Contract, tool.Implementation));

        var counts = host.Registry.Get<IWordCount>("wordcount").Count("to be or not to be", top: 2);

        Assert.Equal(6, counts.Words);
        Assert.Equal([new WordFrequency("be", 2), new WordFrequency("to", 2)], counts.Top);
        Assert.Equal(13.0 / 6, counts.MeanWordLength, precision: 12);
    }

    [Fact]
    public void Contract_is_shared_from_the_host_and_private_dependencies_load_in_the_plugin_context()
    {
        using var host = BuiltInOnly();
        host.Load();

        var tool = host.Registry.Get<IWordCount>("wordcount");
        tool.Count("private dependency loaded now");   // MathNet.Numerics is used here

        var pluginContext = AssemblyLoadContext.GetLoadContext(tool.GetType().Assembly)!;
        Assert.True(pluginContext.IsCollectible);
        Assert.NotSame(AssemblyLoadContext.Default, pluginContext);
        // The contract type is the host's own (the test compiled against it).
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IWordCount).Assembly));
        Assert.Contains(typeof(IWordCount), tool.GetType().GetInterfaces());
        // MathNet.Numerics is the plugin's own, from its folder: the host does not have it at all.
        var mathNet = Assert.Single(pluginContext.Assemblies, a => a.GetName().Name == "MathNet.Numerics");
        Assert.Same(pluginContext, AssemblyLoadContext.GetLoadContext(mathNet));
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "MathNet.Numerics");
        Assert.DoesNotContain(pluginContext.Assemblies, a => a.GetName().Name is "Arrakis.Abstractions" or "Sample.WordCount.Contracts");
    }

    [Fact]
    public void Disposing_the_host_withdraws_its_tools()
    {
        var host = BuiltInOnly();
        host.Load();
        Assert.Contains("wordcount", host.Registry.Names);

        host.Dispose();

        Assert.Empty(host.Registry.Names);
    }
}
