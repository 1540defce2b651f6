using System.Runtime.CompilerServices;
using Arrakis.Native;

namespace Arrakis.Benchmarks;

internal static class NativeInit
{
    [ModuleInitializer]
    internal static void Initialize() => TorchNative.Ensure();
}
