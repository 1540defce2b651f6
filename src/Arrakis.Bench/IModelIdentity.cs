namespace Arrakis.Bench;

/// <summary>
/// What the experiment store records about the model a bench runs against: enough to tell two runs on different
/// models (or different weights) apart.
/// </summary>
public interface IModelIdentity
{
    /// <summary>A human-readable name, e.g. <c>gpt2-small</c>.</summary>
    string Name { get; }

    /// <summary>The model's configuration as JSON (recorded as JSON when it parses, as text otherwise).</summary>
    string ConfigJson { get; }

    /// <summary>A hash of the weights (hex), so a fine-tuned copy with the same config is told apart.</summary>
    string WeightsHash { get; }
}

/// <summary>A fixed <see cref="IModelIdentity"/>.</summary>
/// <param name="Name">A human-readable name.</param>
/// <param name="ConfigJson">The configuration as JSON.</param>
/// <param name="WeightsHash">A hash of the weights.</param>
public sealed record ModelIdentity(string Name, string ConfigJson, string WeightsHash) : IModelIdentity;
