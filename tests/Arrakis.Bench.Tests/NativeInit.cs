using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.Bench.Tests;

internal static class NativeInit
{
    /// <summary>Loads libtorch before any test can touch a TorchSharp type (Arrakis.Bench references Arrakis.Core).</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        try { TorchNative.Ensure(); }
        catch (TorchNativeLoadException) { /* these tests do not need torch; Arrakis.Core.Tests reports it */ }
    }
}
