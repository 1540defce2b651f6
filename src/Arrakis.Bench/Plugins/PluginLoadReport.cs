using System.Text;
using Arrakis.Bench.Tools;

namespace Arrakis.Bench.Plugins;

/// <summary>Where a plugin folder was configured.</summary>
public enum PluginFolderSource
{
    /// <summary>A command-line option (e.g. <c>--plugins</c>).</summary>
    CommandLine,
    /// <summary>The <see cref="PluginHostOptions.PathVariable"/> environment variable.</summary>
    Environment,
    /// <summary>A plugin configuration file.</summary>
    ConfigFile,
    /// <summary>The built-in plugins folder deployed beside the host.</summary>
    BuiltIn,
    /// <summary>Added in code.</summary>
    Code,
}

/// <summary>What the host found at a configured plugin folder.</summary>
public enum PluginFolderStatus
{
    /// <summary>Read; its plugins are in <see cref="PluginLoadReport.Plugins"/>.</summary>
    Scanned,
    /// <summary>Does not exist (not an error for the built-in folder).</summary>
    Missing,
    /// <summary>Exists but cannot be listed, or is not a directory.</summary>
    Unreadable,
}

/// <summary>Why a plugin (or a new build of it) was not loaded.</summary>
public enum PluginFailureKind
{
    /// <summary>No plugin assembly, not a .NET assembly, or an assembly without tool implementations.</summary>
    NotAPlugin,
    /// <summary>Built for another major plugin API version, or declares none.</summary>
    IncompatibleApi,
    /// <summary>An assembly the plugin references could not be found.</summary>
    MissingDependency,
    /// <summary>A tool's constructor threw.</summary>
    ConstructorThrew,
    /// <summary>A tool name is already provided by another plugin or by code.</summary>
    DuplicateToolName,
    /// <summary>The plugin's folder or assembly resolves outside its plugin folder (symlink, <c>..</c> in a manifest).</summary>
    UnsafePath,
    /// <summary>A file or folder could not be read.</summary>
    Unreadable,
    /// <summary>The plugin assembly was deleted while loaded; the loaded version keeps serving.</summary>
    AssemblyDeleted,
    /// <summary>A tool implementation or contract breaks a rule (invalid name, contract inside the plugin, no public parameterless constructor, two implementations of one contract).</summary>
    InvalidTool,
    /// <summary>A rebuilt contract assembly differs from the one already loaded; contracts cannot be reloaded, so the host must restart.</summary>
    ContractChanged,
    /// <summary>Any other load error.</summary>
    LoadFailed,
    /// <summary>A tool's constructor did not return within <see cref="PluginHostOptions.ToolConstructionTimeout"/>.</summary>
    ConstructorTimedOut,
}

/// <summary>What a plugin is doing now.</summary>
public enum PluginStatus
{
    /// <summary>Serving the build that is on disk.</summary>
    Loaded,
    /// <summary>Serving an earlier build: the files on disk changed or vanished and could not be loaded (see <see cref="PluginReport.Failure"/>).</summary>
    ServingPreviousVersion,
    /// <summary>Not loaded (see <see cref="PluginReport.Failure"/>).</summary>
    Failed,
}

/// <summary>A configured plugin folder and what was found there.</summary>
/// <param name="Path">The folder as configured, made absolute.</param>
/// <param name="Source">Where it was configured.</param>
/// <param name="Status">What was found.</param>
/// <param name="Message">Why it could not be read, when it could not.</param>
public sealed record PluginFolderReport(string Path, PluginFolderSource Source, PluginFolderStatus Status, string? Message);

/// <summary>One plugin: its tools and version, or why it failed. Holds no plugin types, only names.</summary>
/// <param name="Name">The plugin's folder name.</param>
/// <param name="Folder">The plugin's folder.</param>
/// <param name="AssemblyPath">The plugin assembly, when one was identified.</param>
/// <param name="Source">Where the plugin's parent folder was configured.</param>
/// <param name="Status">Loaded, serving a previous version, or failed.</param>
/// <param name="Version">The version serving calls (null when none is).</param>
/// <param name="Tools">The tools it provides (empty when none is serving).</param>
/// <param name="Failure">Why it (or its latest build) failed to load.</param>
/// <param name="Reason">The failure in words, naming what to fix.</param>
/// <param name="Warnings">Things that did not stop the load.</param>
public sealed record PluginReport(
    string Name,
    string Folder,
    string? AssemblyPath,
    PluginFolderSource Source,
    PluginStatus Status,
    PluginVersion? Version,
    IReadOnlyList<ToolDescriptor> Tools,
    PluginFailureKind? Failure,
    string? Reason,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// Whether every tool of the serving build has been constructed. Tools are constructed on first use (or by
    /// <see cref="PluginHost.ConstructTools"/>, which <c>arrakis tools</c> calls), so a plugin that is
    /// <see cref="PluginStatus.Loaded"/> but not yet constructed may still fail, as
    /// <see cref="PluginFailureKind.ConstructorThrew"/> or <see cref="PluginFailureKind.ConstructorTimedOut"/>.
    /// </summary>
    public bool ToolsConstructed { get; init; } = true;

    /// <summary>One line: name, status, version, tools and reason.</summary>
    public override string ToString()
    {
        var text = new StringBuilder().Append(Name).Append(": ").Append(Status);
        if (Version is not null) text.Append(' ').Append(Version);
        if (Tools.Count > 0) text.Append(" tools [").Append(string.Join(", ", Tools.Select(t => t.Name))).Append(']');
        if (Status != PluginStatus.Failed && !ToolsConstructed) text.Append(" (not constructed yet)");
        if (Failure is not null) text.Append(" — ").Append(Failure).Append(": ").Append(Reason);
        foreach (var warning in Warnings) text.Append(" (warning: ").Append(warning).Append(')');
        return text.ToString();
    }
}

/// <summary>
/// Everything a <see cref="PluginHost"/> found: each configured folder and each plugin, with its tools and
/// version or the reason it failed. <c>arrakis tools</c> prints it.
/// </summary>
/// <param name="Folders">The configured folders in search order.</param>
/// <param name="Plugins">Every plugin found, in load order.</param>
public sealed record PluginLoadReport(IReadOnlyList<PluginFolderReport> Folders, IReadOnlyList<PluginReport> Plugins)
{
    /// <summary>The plugin named <paramref name="name"/> (its folder name), or null.</summary>
    public PluginReport? this[string name] => Plugins.FirstOrDefault(p => p.Name == name);

    /// <summary>Plugins that are not serving.</summary>
    public IEnumerable<PluginReport> Failed => Plugins.Where(p => p.Status == PluginStatus.Failed);

    /// <summary>A readable multi-line report.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var folder in Folders)
        {
            text.Append("folder ").Append(folder.Path).Append(" (").Append(folder.Source).Append("): ").Append(folder.Status);
            if (folder.Message is not null) text.Append(" — ").Append(folder.Message);
            text.AppendLine();
        }
        foreach (var plugin in Plugins) text.Append("  ").AppendLine(plugin.ToString());
        return text.ToString();
    }
}
