namespace Arrakis.Bench.Tools;

/// <summary>
/// A recorded experiment needed a tool that could not be resolved (not loaded: its plugin failed to load or was never
/// deployed; or registered under another contract). The run is recorded as failed with this message before it is thrown.
/// </summary>
/// <param name="experiment">The experiment's name.</param>
/// <param name="tool">The tool's name.</param>
/// <param name="message">Why, naming the plugin that failed to load and its reason when one did.</param>
/// <param name="inner">The registry's exception.</param>
public sealed class ToolUnavailableException(string experiment, string tool, string message, Exception inner)
    : KeyNotFoundException(message, inner)
{
    /// <summary>The experiment that needed the tool.</summary>
    public string Experiment { get; } = experiment;

    /// <summary>The tool that could not be resolved.</summary>
    public string Tool { get; } = tool;
}
