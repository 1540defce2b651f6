using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.Cli;

internal static class NativeInit
{
    /// <summary>Loads libtorch before anything in this assembly can touch a TorchSharp type.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        try { TorchNative.Ensure(); }
        catch (TorchNativeLoadException) { /* reported by the first command that needs torch */ }
    }
}
