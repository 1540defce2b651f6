namespace Arrakis.Bench;

/// <summary>A tool as resolved for one experiment call (its version is recorded with the run).</summary>
/// <param name="Name">The tool's registry name.</param>
/// <param name="Tool">The instance the registry returned.</param>
public readonly record struct ToolUse(string Name, object Tool);
