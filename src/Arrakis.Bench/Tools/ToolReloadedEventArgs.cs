using Arrakis.Bench.Plugins;

namespace Arrakis.Bench.Tools;

/// <summary>
/// A plugin's tools were swapped for a new build. Calls that resolved a tool before the swap finish on
/// <see cref="OldVersion"/>; every resolution after it gets <see cref="NewVersion"/>.
/// </summary>
/// <param name="Plugin">The plugin's name.</param>
/// <param name="OldVersion">The build that was serving.</param>
/// <param name="NewVersion">The build now serving.</param>
/// <param name="Tools">The names of the tools the new build provides.</param>
public sealed class ToolReloadedEventArgs(string Plugin, PluginVersion OldVersion, PluginVersion NewVersion, IReadOnlyList<string> Tools) : EventArgs
{
    /// <summary>The plugin's name.</summary>
    public string Plugin { get; } = Plugin;

    /// <summary>The build that was serving.</summary>
    public PluginVersion OldVersion { get; } = OldVersion;

    /// <summary>The build now serving.</summary>
    public PluginVersion NewVersion { get; } = NewVersion;

    /// <summary>The names of the tools the new build provides.</summary>
    public IReadOnlyList<string> Tools { get; } = Tools;
}
