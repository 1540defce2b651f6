using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.StoreWriter;

internal static class NativeInit
{
    /// <summary>Loads libtorch before anything touches a TorchSharp type (the bench needs a model).</summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchNative.Ensure();
}
