namespace Arrakis.Native;

/// <summary>
/// Thrown by <see cref="TorchNative.Ensure"/> when TorchSharp's native library cannot be loaded. The message is
/// one paragraph that lists every path tried and the loader's reason for each.
/// </summary>
public sealed class TorchNativeLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchNativeLoadException(string message, Exception? inner = null) : base(message, inner) { }
}
