using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;
using Sample.WordCount.Contracts;

namespace Arrakis.Bench.Tests.Plugins;

/// <summary>Discovery and bad input at the folder level: unsafe paths, missing folders, things that are not plugins.</summary>
public class PluginFolderTests
{
    private static readonly string Sample = Path.Combine(Repo.BuiltInPlugins, "Sample.WordCount");

    private static PluginHost Host(params string[] folders)
    {
        var options = new PluginHostOptions { HotReload = false };
        foreach (var folder in folders) options.AddFolder(folder);
        return new PluginHost(options);
    }

    private static void AssertFailed(PluginLoadReport report, string plugin, PluginFailureKind kind, string reasonPart)
    {
        var entry = report[plugin];
        Assert.True(entry is not null, $"{plugin} missing from the report:\n{report}");
        Assert.True(entry.Status == PluginStatus.Failed && entry.Failure == kind && entry.Reason!.Contains(reasonPart, StringComparison.Ordinal),
            $"expected {plugin} to fail with {kind} containing \"{reasonPart}\":\n{report}");
        Assert.Empty(entry.Tools);
    }

    [Fact]
    public void Plugin_folder_symlinked_outside_the_plugins_folder_is_refused()
    {
        using var outside = new TempFolder();
        using var root = new TempFolder();
        TempFolder.CopyFolder(Sample, outside.Combine("Evil"));
        Directory.CreateSymbolicLink(root.Combine("Evil"), outside.Combine("Evil"));
        using var host = Host(root.Path);

        var report = host.Load();

        AssertFailed(report, "Evil", PluginFailureKind.UnsafePath, "outside its plugin folder");
        Assert.DoesNotContain("wordcount", host.Registry.Names);
    }

    [Fact]
    public void Plugin_folder_symlinked_inside_the_plugins_folder_loads()
    {
        using var root = new TempFolder();
        TempFolder.CopyFolder(Sample, root.Combine(".store", "Sample.WordCount"));
        Directory.CreateSymbolicLink(root.Combine("Sample.WordCount"), root.Combine(".store", "Sample.WordCount"));
        using var host = Host(root.Path);

        var report = host.Load();

        Assert.True(report["Sample.WordCount"]?.Status == PluginStatus.Loaded, report.ToString());
        Assert.Equal(3, host.Registry.Get<IWordCount>("wordcount").Count("a b c").Words);
    }

    [Fact]
    public void Manifest_path_with_dot_dot_escaping_the_plugin_folder_is_refused()
    {
        using var root = new TempFolder();
        TempFolder.CopyFolder(Sample, root.Combine("Victim"));
        Directory.CreateDirectory(root.Combine("Escaper"));
        File.WriteAllText(root.Combine("Escaper", PluginHostOptions.ManifestFileName), """{ "assembly": "../Victim/Sample.WordCount.dll" }""");
        using var host = Host(root.Path);

        var report = host.Load();

        AssertFailed(report, "Escaper", PluginFailureKind.UnsafePath, "outside the plugin folder");
    }

    [Fact]
    public void Manifest_with_an_absolute_path_is_refused()
    {
        using var root = new TempFolder();
        Directory.CreateDirectory(root.Combine("Absolute"));
        File.WriteAllText(root.Combine("Absolute", PluginHostOptions.ManifestFileName),
            $$"""{ "assembly": "{{Path.Combine(Sample, "Sample.WordCount.dll")}}" }""");
        using var host = Host(root.Path);

        AssertFailed(host.Load(), "Absolute", PluginFailureKind.UnsafePath, "absolute path");
    }

    [Fact]
    public void Plugin_assembly_symlinked_outside_its_folder_is_refused()
    {
        using var outside = new TempFolder();
        using var root = new TempFolder();
        TempFolder.CopyFolder(Sample, outside.Path);
        Directory.CreateDirectory(root.Combine("Linked"));
        File.CreateSymbolicLink(root.Combine("Linked", "Linked.dll"), outside.Combine("Sample.WordCount.dll"));
        using var host = Host(root.Path);

        AssertFailed(host.Load(), "Linked", PluginFailureKind.UnsafePath, "outside the plugin folder");
    }

    [Fact]
    public void Manifest_can_name_an_assembly_in_a_sub_folder()
    {
        using var root = new TempFolder();
        TempFolder.CopyFolder(Sample, root.Combine("Nested", "bin"));
        File.WriteAllText(root.Combine("Nested", PluginHostOptions.ManifestFileName), """{ "assembly": "bin/Sample.WordCount.dll" }""");
        using var host = Host(root.Path);

        var report = host.Load();

        Assert.True(report["Nested"]?.Status == PluginStatus.Loaded, report.ToString());
        Assert.Equal(2, host.Registry.Get<IWordCount>("wordcount").Count("x y").Words);
    }

    [Fact]
    public void Missing_and_unreadable_folders_are_reported_and_other_folders_still_load()
    {
        using var temp = new TempFolder();
        var missing = temp.Combine("no-such-folder");
        var notAFolder = temp.Combine("a-file");
        File.WriteAllText(notAFolder, "");
        TempFolder.CopyFolder(Sample, temp.Combine("good", "Sample.WordCount"));
        using var host = Host(missing, notAFolder, temp.Combine("good"));

        var report = host.Load();

        Assert.Equal(
            [(missing, PluginFolderStatus.Missing), (notAFolder, PluginFolderStatus.Unreadable), (temp.Combine("good"), PluginFolderStatus.Scanned)],
            report.Folders.Select(f => (f.Path, f.Status)));
        Assert.Equal("the folder does not exist", report.Folders[0].Message);
        Assert.Equal("not a directory", report.Folders[1].Message);
        Assert.Equal(1, host.Registry.Get<IWordCount>("wordcount").Count("one").Words);
    }

    [Fact]
    public void Folder_without_an_assembly_and_a_loose_assembly_are_reported_as_not_plugins()
    {
        using var root = new TempFolder();
        Directory.CreateDirectory(root.Combine("Empty"));
        File.Copy(Path.Combine(Sample, "Sample.WordCount.dll"), root.Combine("Loose.dll"));
        using var host = Host(root.Path);

        var report = host.Load();

        AssertFailed(report, "Empty", PluginFailureKind.NotAPlugin, "no plugin assembly");
        AssertFailed(report, "Loose", PluginFailureKind.NotAPlugin, "a plugin is a folder");
    }
}
