using System.Collections.Concurrent;
using Xunit.Abstractions;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;
using Arrakis.Bench.Tools;
using static Arrakis.Bench.Tests.Support.TemplatePluginFixture;

namespace Arrakis.Bench.Tests.Plugins;

/// <summary>A plugin made with <c>dotnet new arrakis-plugin</c>, built at test time: load, call, hot reload, unload.</summary>
[Collection(TemplatePluginCollection.Name)]
public class TemplatePluginTests(TemplatePluginFixture plugin, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static string Greet(ToolRegistry registry, string input) =>
        ToolCalls.Property<string>(ToolCalls.Invoke(registry, ToolName, "Run", input), "Output");

    [Fact]
    public void Generated_plugin_loads_and_is_called_through_its_shared_contract()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path, o => o.HotReload = false);

        var report = host.Load();

        var entry = report[PluginName]!;
        Assert.True(entry.Status == PluginStatus.Loaded, report.ToString());
        Assert.Equal("1.0.0", entry.Version!.AssemblyVersion);
        var tool = Assert.Single(entry.Tools);
        Assert.Equal((ToolName, "Probe.Echo.Contracts.IEcho", "Probe.Echo.EchoTool"), (tool.Name, tool.Contract.FullName, tool.Implementation));
        // The contract came from the plugin's folder but lives in the host's default context, shared by every build.
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(tool.Contract.Assembly));
        Assert.True(AssemblyLoadContext.GetLoadContext(host.Registry.Get(ToolName).GetType().Assembly)!.IsCollectible);
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));
        // The host provides Arrakis.Abstractions: the plugin's output does not carry a copy.
        Assert.Empty(Directory.GetFiles(plugin.Generated, "Arrakis.Abstractions*"));
    }

    [Fact]
    public void Template_creates_a_contract_an_implementation_a_test_project_and_a_readme()
    {
        string[] expected =
        [
            "Probe.Echo.slnx",
            "README.md",
            "src/Probe.Echo.Contracts/IEcho.cs",
            "src/Probe.Echo.Contracts/Probe.Echo.Contracts.csproj",
            "src/Probe.Echo/EchoTool.cs",
            "src/Probe.Echo/PluginInfo.cs",
            "src/Probe.Echo/Probe.Echo.csproj",
            "tests/Probe.Echo.Tests/EchoToolTests.cs",
            "tests/Probe.Echo.Tests/Probe.Echo.Tests.csproj",
        ];
        foreach (var file in expected) Assert.True(File.Exists(Path.Combine(plugin.Source, file)), $"{file} was not generated");

        var contract = File.ReadAllText(Path.Combine(plugin.Source, "src/Probe.Echo.Contracts/IEcho.cs"));
        Assert.Contains("[Tool(\"echo\")]", contract);
        Assert.Contains("public interface IEcho", contract);
        var readme = File.ReadAllText(Path.Combine(plugin.Source, "README.md"));
        Assert.StartsWith("# Probe.Echo — an Arrakis tool plugin", readme);
        Assert.Contains("dotnet build src/Probe.Echo -o <plugins folder>/Probe.Echo", readme);
        Assert.DoesNotContain("Acme", readme + contract);
        Assert.DoesNotContain("Greeter", readme + contract);
    }

    [Fact]
    public void Generated_test_project_passes()
    {
        Assert.True(Regex.IsMatch(plugin.GeneratedTestOutput, @"Passed!\s+- Failed:\s+0, Passed:\s+4,"), plugin.GeneratedTestOutput);
    }

    [Fact]
    public async Task Rebuilt_plugin_is_picked_up_within_two_seconds_and_a_call_in_flight_finishes_on_the_old_build()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path);
        host.Load();
        var reloads = new BlockingCollection<ToolReloadedEventArgs>();
        host.Registry.Reloaded += (_, e) => reloads.Add(e);
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));

        // Change the source, rebuild into the plugin folder: the same host serves the new build.
        plugin.WriteImplementation("Goodbye");
        DotNet.Build(plugin.Project, root.Combine(PluginName), "--no-restore");
        var pickedUp = Wait.Until(() => Greet(host.Registry, "world") == "Goodbye, world!", Patience, () => host.Report.ToString());
        output.WriteLine($"new build served {pickedUp.TotalMilliseconds:0} ms after dotnet build exited");
        Assert.True(pickedUp < TimeSpan.FromSeconds(2), $"new build served {pickedUp.TotalMilliseconds:0} ms after the build finished");
        Assert.True(reloads.TryTake(out var first, Patience));
        Assert.Equal((PluginName, 1, 2), (first.Plugin, first.OldVersion.Generation, first.NewVersion.Generation));
        Assert.NotEqual(first.OldVersion.BuildId, first.NewVersion.BuildId);
        Assert.Equal([ToolName], first.Tools);

        // Hold a call in flight on this build ("Goodbye"), rebuild again, and release the call after the swap.
        var release = root.Combine("release");
        var inFlight = Task.Run(() => Greet(host.Registry, "wait:" + release));
        Wait.Until(() => File.Exists(release + ".entered"), Patience, () => "the call did not start");
        plugin.WriteImplementation("Hi again");
        DotNet.Build(plugin.Project, root.Combine(PluginName), "--no-restore");
        Wait.Until(() => Greet(host.Registry, "world") == "Hi again, world!", Patience, () => host.Report.ToString());
        Assert.False(inFlight.IsCompleted);

        File.WriteAllText(release, "");

        Assert.Equal($"Goodbye, wait:{release}!", await inFlight.WaitAsync(Patience));
        Assert.True(reloads.TryTake(out var second, Patience));
        Assert.Equal((first.NewVersion, 3), (second.OldVersion, second.NewVersion.Generation));
        var entry = host.Report[PluginName]!;
        Assert.Equal((PluginStatus.Loaded, second.NewVersion), (entry.Status, entry.Version));
    }

    [Fact]
    public void Old_load_context_is_collected_after_a_reload()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path);
        host.Load();
        var reloaded = new ManualResetEventSlim();
        host.Registry.Reloaded += (_, _) => reloaded.Set();
        var old = UseAndWatch(host);
        Assert.True(old.IsAlive);

        TempFolder.CopyFolder(plugin.Changed, root.Combine(PluginName));
        Assert.True(reloaded.Wait(Patience), host.Report.ToString());
        Assert.Equal("Bonjour, world!", Greet(host.Registry, "world"));

        for (var i = 0; old.IsAlive && i < 50; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(20);
        }
        Assert.False(old.IsAlive, "the old plugin load context was not collected");
    }

    /// <summary>Calls the tool and returns a weak reference to the load context serving it (no strong reference survives this frame).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference UseAndWatch(PluginHost host)
    {
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));
        return new WeakReference(host.LoadContextOf(PluginName));
    }

    [Fact]
    public void Deleted_plugin_assembly_keeps_serving_the_loaded_build_and_is_reported()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path);
        host.Load();
        var version = host.Report[PluginName]!.Version;

        File.Delete(root.Combine(PluginName, PluginName + ".dll"));

        Wait.Until(() => host.Report[PluginName]!.Failure == PluginFailureKind.AssemblyDeleted, Patience, () => host.Report.ToString());
        var entry = host.Report[PluginName]!;
        Assert.Equal((PluginStatus.ServingPreviousVersion, version), (entry.Status, entry.Version));
        Assert.Contains("was deleted; still serving 1.0.0", entry.Reason);
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));

        // Put back, it is the same build: no reload, the report is clean again.
        File.Copy(Path.Combine(plugin.Generated, PluginName + ".dll"), root.Combine(PluginName, PluginName + ".dll"));
        Wait.Until(() => host.Report[PluginName]!.Status == PluginStatus.Loaded, Patience, () => host.Report.ToString());
        Assert.Equal(version, host.Report[PluginName]!.Version);
    }

    [Fact]
    public void Half_written_assembly_is_retried_not_loaded()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path);
        host.Load();
        var changes = new ConcurrentQueue<PluginReport>();
        host.PluginChanged += (_, r) => changes.Enqueue(r);
        var target = root.Combine(PluginName, PluginName + ".dll");
        var complete = File.ReadAllBytes(Path.Combine(plugin.Changed, PluginName + ".dll"));

        // A slow writer: half the file, a pause longer than the reload delay, then the rest.
        using (var stream = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Write(complete, 0, complete.Length / 2);
            stream.Flush();
            Thread.Sleep(600);
            Assert.Equal("Hello, world!", Greet(host.Registry, "world"));
            stream.Write(complete, complete.Length / 2, complete.Length - complete.Length / 2);
        }

        Wait.Until(() => Greet(host.Registry, "world") == "Bonjour, world!", Patience, () => host.Report.ToString());
        var entry = host.Report[PluginName]!;
        Assert.Equal((PluginStatus.Loaded, 2), (entry.Status, entry.Version!.Generation));
        Assert.All(changes, r => Assert.Null(r.Failure));
    }

    [Fact]
    public void Assembly_that_stays_broken_is_reported_and_the_loaded_build_keeps_serving()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path, o => o.ReloadRetryWindow = TimeSpan.FromMilliseconds(500));
        host.Load();
        var complete = File.ReadAllBytes(Path.Combine(plugin.Changed, PluginName + ".dll"));

        File.WriteAllBytes(root.Combine(PluginName, PluginName + ".dll"), complete[..(complete.Length / 2)]);

        Wait.Until(() => host.Report[PluginName]!.Status == PluginStatus.ServingPreviousVersion, Patience, () => host.Report.ToString());
        var entry = host.Report[PluginName]!;
        Assert.Equal(PluginFailureKind.NotAPlugin, entry.Failure);
        Assert.Contains("the file is cut short", entry.Reason);
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));
    }

    [Fact]
    public void Build_with_a_changed_contract_is_refused_and_the_loaded_build_keeps_serving()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path);
        host.Load();
        var contract = host.Registry.Describe(ToolName).Contract;

        TempFolder.CopyFolder(plugin.ContractChanged, root.Combine(PluginName));

        Wait.Until(() => host.Report[PluginName]!.Failure == PluginFailureKind.ContractChanged, Patience, () => host.Report.ToString());
        var entry = host.Report[PluginName]!;
        Assert.Equal((PluginStatus.ServingPreviousVersion, 1), (entry.Status, entry.Version!.Generation));
        Assert.Contains("contracts cannot be reloaded — restart the host to use the new contract", entry.Reason);
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));
        Assert.Same(contract, host.Registry.Describe(ToolName).Contract);
    }

    [Fact]
    public void Plugin_folder_that_appears_while_the_host_runs_is_loaded()
    {
        using var root = new TempFolder("arrakis-plugins");
        using var host = Host(root.Path);
        host.Load();
        Assert.Empty(host.Registry.Names);

        TempFolder.CopyFolder(plugin.Generated, root.Combine(PluginName));

        Wait.Until(() => host.Registry.Names.Contains(ToolName), Patience, () => host.Report.ToString());
        Assert.Equal("Hello, world!", Greet(host.Registry, "world"));
        Assert.Equal(PluginStatus.Loaded, host.Report[PluginName]!.Status);
    }

    [Fact]
    public void Unknown_tool_name_through_the_host_lists_loaded_tools_and_the_closest_name()
    {
        using var root = plugin.PluginsWith(plugin.Generated);
        using var host = Host(root.Path, o => o.HotReload = false);
        host.Load();
        host.Registry.Register<IFormattable>("format", 1.5);

        var error = Assert.Throws<KeyNotFoundException>(() => host.Registry.Get("ecko"));

        Assert.Equal("No tool named 'ecko'. Closest name: 'echo'. Loaded tools: echo, format.", error.Message);
    }
}
