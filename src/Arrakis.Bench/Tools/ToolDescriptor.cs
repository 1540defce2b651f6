using Arrakis.Bench.Plugins;

namespace Arrakis.Bench.Tools;

/// <summary>
/// A registered tool, described without holding it: the contract is a host-shared type, the implementation is
/// named, never referenced, so a descriptor kept across a reload does not pin the old plugin.
/// </summary>
/// <param name="Name">The tool name (<c>[a-z][a-z0-9_-]*</c>).</param>
/// <param name="Contract">The contract type the tool is typed by (shared from the host).</param>
/// <param name="Implementation">The implementing type's full name.</param>
/// <param name="Source">The plugin's name, or <c>code</c> for a tool registered in code.</param>
/// <param name="Version">The plugin version serving the tool (null for a tool registered in code).</param>
public sealed record ToolDescriptor(string Name, Type Contract, string Implementation, string Source, PluginVersion? Version)
{
    /// <summary>The <see cref="Source"/> of tools registered in code.</summary>
    public const string CodeSource = "code";
}
