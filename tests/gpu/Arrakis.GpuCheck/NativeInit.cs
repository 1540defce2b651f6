using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.GpuCheck;

internal static class NativeInit
{
    /// <summary>Loads libtorch (as chosen by --libtorch, ARRAKIS_LIBTORCH or --device) before any TorchSharp type is touched.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        try { TorchNative.Ensure(); }
        catch (TorchNativeLoadException) { /* reported by Program, which calls Ensure again */ }
    }
}
