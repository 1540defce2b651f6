using System.Text.Json;

namespace Arrakis.Bench.Plugins;

/// <summary>A folder whose sub-folders are plugins, and where it was configured.</summary>
/// <param name="Path">The folder (absolute).</param>
/// <param name="Source">Where it was configured.</param>
public sealed record PluginFolder(string Path, PluginFolderSource Source);

/// <summary>
/// Where a <see cref="PluginHost"/> looks for plugins and how it reloads them.
/// </summary>
/// <remarks>
/// <para>Each configured folder holds one sub-folder per plugin: <c>&lt;folder&gt;/&lt;Plugin&gt;/&lt;Plugin&gt;.dll</c>
/// (the output of <c>dotnet build -o &lt;folder&gt;/&lt;Plugin&gt;</c>), or a sub-folder whose
/// <c>arrakis-plugin.json</c> names the assembly (<c>{ "assembly": "bin/My.Plugin.dll" }</c>), which must stay
/// inside that sub-folder.</para>
/// <para><see cref="Resolve"/> builds the folder list from, in this order (earlier folders win a tool-name clash):
/// the command line (<c>--plugins</c>), the <see cref="PathVariable"/> environment variable (a
/// <see cref="System.IO.Path.PathSeparator"/>-separated list), the configuration file, and the built-in plugins
/// folder beside the host (<see cref="BuiltInFolder"/>). The current directory is never searched unless it is
/// named: an empty entry in the variable is skipped, not read as ".".</para>
/// </remarks>
public sealed class PluginHostOptions
{
    /// <summary>Environment variable with extra plugin folders.</summary>
    public const string PathVariable = "ARRAKIS_PLUGIN_PATH";

    /// <summary>Environment variable naming a plugin configuration file.</summary>
    public const string ConfigVariable = "ARRAKIS_PLUGIN_CONFIG";

    /// <summary>The configuration file looked for in the user's configuration folder
    /// (<c>$XDG_CONFIG_HOME/arrakis/plugins.json</c>, usually <c>~/.config/arrakis/plugins.json</c>) when none is named.</summary>
    public const string ConfigFileName = "plugins.json";

    /// <summary>The manifest a plugin folder may hold to name its assembly.</summary>
    public const string ManifestFileName = "arrakis-plugin.json";

    /// <summary>The built-in plugins folder: <c>plugins/</c> beside the host's assemblies.</summary>
    public static string BuiltInFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The folders to search, in precedence order.</summary>
    public IList<PluginFolder> Folders { get; } = [];

    /// <summary>Watch the folders and load a plugin's new build when it appears (default true).</summary>
    public bool HotReload { get; set; } = true;

    /// <summary>How long the files of a plugin must stay unchanged before a reload starts (the name McMaster's
    /// <c>PluginConfig.ReloadDelay</c> uses; default 200 ms). A build writes several files; this waits for the last.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a reload keeps retrying a build that cannot be read yet (a half-written assembly) before it
    /// reports the failure and keeps serving the previous build (default 10 s).</summary>
    public TimeSpan ReloadRetryWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a tool's constructor may run before the tool is reported as failed
    /// (<see cref="PluginFailureKind.ConstructorTimedOut"/>; default 10 s). Tools are constructed on first use, not when
    /// their plugin loads, so a slow constructor delays only the runs that use the tool.
    /// </summary>
    public TimeSpan ToolConstructionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Assemblies shared from the host, so host and plugin see the same types: Arrakis.Abstractions and every
    /// plugin's contract assemblies always are; these are added (default Arrakis.Core and TorchSharp: the model and
    /// tensors that cross the boundary).
    /// </summary>
    public IList<string> SharedAssemblies { get; } = ["Arrakis.Core", "TorchSharp"];

    /// <summary>Adds a folder (made absolute against the current directory, since it was named explicitly).</summary>
    public PluginHostOptions AddFolder(string path, PluginFolderSource source = PluginFolderSource.Code)
    {
        var full = Path.GetFullPath(ExpandHome(path));
        if (!Folders.Any(f => SamePath(f.Path, full))) Folders.Add(new PluginFolder(full, source));
        return this;
    }

    /// <summary>
    /// Builds options from the command line, the environment and a configuration file.
    /// </summary>
    /// <param name="commandLineFolders">Folders named on the command line (relative ones against the current directory).</param>
    /// <param name="configFile">A configuration file named on the command line; otherwise <see cref="ConfigVariable"/>,
    /// otherwise <see cref="ConfigFileName"/> in the user's configuration folder if it exists.</param>
    /// <param name="includeBuiltIn">False to leave out the built-in folder (a command-line switch); the configuration
    /// file's <c>includeBuiltIn</c> can also turn it off.</param>
    /// <param name="environment">Reads an environment variable (default <see cref="Environment.GetEnvironmentVariable(string)"/>).</param>
    /// <param name="builtInFolder">The built-in folder (default <see cref="BuiltInFolder"/>).</param>
    /// <returns>The options.</returns>
    /// <exception cref="FileNotFoundException">A configuration file was named but does not exist.</exception>
    /// <exception cref="InvalidDataException">The configuration file is not valid.</exception>
    /// <remarks>
    /// The configuration file is JSON; relative folders in it are relative to the file:
    /// <code>{ "folders": ["../shared-plugins", "~/arrakis/plugins"], "includeBuiltIn": true, "hotReload": true, "reloadDelayMs": 200 }</code>
    /// </remarks>
    public static PluginHostOptions Resolve(
        IEnumerable<string>? commandLineFolders = null,
        string? configFile = null,
        bool includeBuiltIn = true,
        Func<string, string?>? environment = null,
        string? builtInFolder = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var options = new PluginHostOptions();

        foreach (var folder in commandLineFolders ?? [])
        {
            if (!string.IsNullOrWhiteSpace(folder)) options.AddFolder(folder, PluginFolderSource.CommandLine);
        }

        foreach (var folder in (environment(PathVariable) ?? "").Split(Path.PathSeparator))
        {
            // An empty entry ("a::b", a trailing ':') means "." in PATH; here it means nothing.
            if (!string.IsNullOrWhiteSpace(folder)) options.AddFolder(folder.Trim(), PluginFolderSource.Environment);
        }

        var config = FindConfigFile(configFile, environment);
        if (config is not null)
        {
            var settings = ReadConfig(config);
            var baseDirectory = Path.GetDirectoryName(config)!;
            foreach (var folder in settings.Folders ?? [])
            {
                if (string.IsNullOrWhiteSpace(folder)) continue;
                options.AddFolder(Path.Combine(baseDirectory, ExpandHome(folder)), PluginFolderSource.ConfigFile);
            }
            includeBuiltIn &= settings.IncludeBuiltIn ?? true;
            if (settings.HotReload is { } hotReload) options.HotReload = hotReload;
            if (settings.ReloadDelayMs is { } delay) options.ReloadDelay = TimeSpan.FromMilliseconds(delay);
        }

        if (includeBuiltIn) options.AddFolder(builtInFolder ?? BuiltInFolder, PluginFolderSource.BuiltIn);
        return options;
    }

    private static string? FindConfigFile(string? named, Func<string, string?> environment)
    {
        named = string.IsNullOrWhiteSpace(named) ? environment(ConfigVariable) : named;
        if (!string.IsNullOrWhiteSpace(named))
        {
            var path = Path.GetFullPath(ExpandHome(named));
            return File.Exists(path) ? path : throw new FileNotFoundException($"Plugin configuration file '{path}' does not exist.", path);
        }
        var userConfig = OperatingSystem.IsWindows() ? environment("APPDATA")
            : environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
            : environment("HOME") is { Length: > 0 } home ? Path.Combine(home, ".config") : null;
        if (string.IsNullOrEmpty(userConfig)) return null;
        var candidate = Path.Combine(userConfig, "arrakis", ConfigFileName);
        return File.Exists(candidate) ? candidate : null;
    }

    private sealed record ConfigFile(string[]? Folders, bool? IncludeBuiltIn, bool? HotReload, int? ReloadDelayMs);

    private static ConfigFile ReadConfig(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(path), JsonOptions)
                   ?? throw new InvalidDataException($"Plugin configuration file '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Plugin configuration file '{path}' is not valid: {e.Message}", e);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static string ExpandHome(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "");
        return path;
    }

    internal static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b),
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
