namespace Arrakis.Bench;

/// <summary>The experiment store cannot be used (e.g. its save directory is not writable).</summary>
public sealed class ExperimentStoreException(string message, Exception? inner = null) : Exception(message, inner);
