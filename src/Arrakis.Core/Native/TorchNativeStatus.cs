namespace Arrakis.Native;

/// <summary>How TorchSharp's native library was made available.</summary>
public enum TorchNativeMode
{
    /// <summary>Not Linux: TorchSharp's own loader handles it.</summary>
    TorchSharpDefault,

    /// <summary>The shipped library loaded unchanged.</summary>
    Original,

    /// <summary>A copy with unsatisfiable anchor-only version requirements marked weak was loaded.</summary>
    Patched,
}

/// <summary>The outcome of <see cref="TorchNative.Ensure"/>.</summary>
/// <param name="Mode">Which library was loaded.</param>
/// <param name="LibraryPath">The path that was loaded, when Arrakis loaded it.</param>
/// <param name="Detail">One sentence on what was done.</param>
public sealed record TorchNativeStatus(TorchNativeMode Mode, string? LibraryPath, string Detail);
