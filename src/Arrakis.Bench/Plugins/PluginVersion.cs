namespace Arrakis.Bench.Plugins;

/// <summary>
/// One loaded build of a plugin: its assembly version, the build id (the first 8 hex digits of the module's MVID,
/// which a deterministic build changes exactly when the code changes) and the load generation in this host
/// (1 for the first load, +1 for each reload).
/// </summary>
/// <param name="AssemblyVersion">The informational version of the plugin assembly (its assembly version without one).</param>
/// <param name="BuildId">First 8 hex digits of the plugin assembly's MVID.</param>
/// <param name="Generation">How many times this host has loaded the plugin, this load included.</param>
public sealed record PluginVersion(string AssemblyVersion, string BuildId, int Generation)
{
    /// <summary>For example <c>1.0.0 (build 3fa2c1d0, load 2)</c>.</summary>
    public override string ToString() => $"{AssemblyVersion} (build {BuildId}, load {Generation})";
}
