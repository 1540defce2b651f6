using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.Tests;

internal static class NativeInit
{
    /// <summary>Loads libtorch before any test can touch a TorchSharp type.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        try { TorchNative.Ensure(); }
        catch (TorchNativeLoadException) { /* the smoke tests call Ensure() and report it */ }
    }
}
