using System.Runtime.CompilerServices;

namespace Arrakis.Native;

/// <summary>
/// Loads the native runtime when Arrakis.Core itself is first touched. Assemblies that may touch TorchSharp
/// types before any Arrakis.Core type get their own initializer calling <see cref="TorchNative.Ensure"/>
/// (<c>buildTransitive/ArrakisNativeInit.cs</c>, compiled in by the package and by the repository's
/// Directory.Build.targets), because this one runs only when Arrakis.Core's module is loaded.
/// </summary>
internal static class CoreModuleInitializer
{
#pragma warning disable CA2255 // Library module initializer on purpose: TorchSharp must not initialise before this.
    [ModuleInitializer]
    internal static void Initialize()
    {
        try
        {
            TorchNative.Ensure();
        }
        catch (TorchNativeLoadException)
        {
            // Kept and rethrown by the next explicit Ensure(), where the caller can see it; a throwing module
            // initializer would instead make every Arrakis.Core type unusable with an opaque TypeInitializationException.
        }
    }
#pragma warning restore CA2255
}
