using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.Tools.Tests;

internal static class NativeInit
{
    /// <summary>Loads libtorch before any test can touch a TorchSharp type.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        try { TorchNative.Ensure(); }
        catch (TorchNativeLoadException) { /* the tests that need torch fail with the loader's message */ }
    }
}
