using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tests.Support;

namespace Arrakis.Bench.Tests.Plugins;

public class PluginHostOptionsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Default_is_the_built_in_folder_only()
    {
        var options = PluginHostOptions.Resolve(environment: Env(), builtInFolder: "/opt/arrakis/plugins");

        Assert.Equal([new PluginFolder("/opt/arrakis/plugins", PluginFolderSource.BuiltIn)], options.Folders);
        Assert.True(options.HotReload);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.ReloadDelay);
    }

    [Fact]
    public void Folders_come_from_command_line_then_environment_then_config_file_then_built_in()
    {
        using var temp = new TempFolder();
        var config = temp.Combine("plugins.json");
        File.WriteAllText(config, """{ "folders": ["from-config", "/abs/config"], "reloadDelayMs": 50, "hotReload": false }""");

        var options = PluginHostOptions.Resolve(
            commandLineFolders: ["/cli/a"],
            configFile: config,
            environment: Env((PluginHostOptions.PathVariable, $"/env/a{Path.PathSeparator}/env/b")),
            builtInFolder: "/builtin");

        Assert.Equal(
            [
                new PluginFolder("/cli/a", PluginFolderSource.CommandLine),
                new PluginFolder("/env/a", PluginFolderSource.Environment),
                new PluginFolder("/env/b", PluginFolderSource.Environment),
                new PluginFolder(temp.Combine("from-config"), PluginFolderSource.ConfigFile),
                new PluginFolder("/abs/config", PluginFolderSource.ConfigFile),
                new PluginFolder("/builtin", PluginFolderSource.BuiltIn),
            ],
            options.Folders);
        Assert.False(options.HotReload);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.ReloadDelay);
    }

    [Fact]
    public void Empty_entries_in_the_path_variable_never_mean_the_current_directory()
    {
        var sep = Path.PathSeparator;
        var options = PluginHostOptions.Resolve(
            environment: Env((PluginHostOptions.PathVariable, $"{sep}/env/a{sep}{sep} {sep}")), builtInFolder: "/builtin");

        Assert.Equal(["/env/a", "/builtin"], options.Folders.Select(f => f.Path));
        Assert.DoesNotContain(options.Folders, f => f.Path == Environment.CurrentDirectory);
    }

    [Fact]
    public void Config_file_can_come_from_the_environment_and_turn_off_the_built_in_folder()
    {
        using var temp = new TempFolder();
        var config = temp.Combine("arrakis.json");
        File.WriteAllText(config, """{ "folders": ["../shared"], "includeBuiltIn": false }""");

        var options = PluginHostOptions.Resolve(environment: Env((PluginHostOptions.ConfigVariable, config)), builtInFolder: "/builtin");

        Assert.Equal([new PluginFolder(Path.GetFullPath(Path.Combine(temp.Path, "../shared")), PluginFolderSource.ConfigFile)], options.Folders);
    }

    [Fact]
    public void Duplicate_folders_are_listed_once_at_their_first_place()
    {
        var options = PluginHostOptions.Resolve(
            commandLineFolders: ["/p", "/p/"], environment: Env((PluginHostOptions.PathVariable, "/p")), builtInFolder: "/p");

        Assert.Equal([new PluginFolder("/p", PluginFolderSource.CommandLine)], options.Folders);
    }

    [Fact]
    public void Command_line_switch_leaves_out_the_built_in_folder()
    {
        var options = PluginHostOptions.Resolve(commandLineFolders: ["/cli"], includeBuiltIn: false, environment: Env(), builtInFolder: "/builtin");

        Assert.Equal(["/cli"], options.Folders.Select(f => f.Path));
    }

    [Fact]
    public void Named_config_file_that_does_not_exist_is_an_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => PluginHostOptions.Resolve(configFile: "/no/such/plugins.json", environment: Env()));

        Assert.Contains("/no/such/plugins.json", error.Message);
    }

    [Fact]
    public void Invalid_config_file_is_an_error_naming_the_file()
    {
        using var temp = new TempFolder();
        var config = temp.Combine("plugins.json");
        File.WriteAllText(config, """{ "folder": ["typo"] }""");

        var error = Assert.Throws<InvalidDataException>(() => PluginHostOptions.Resolve(configFile: config, environment: Env()));

        Assert.Contains(config, error.Message);
    }
}
