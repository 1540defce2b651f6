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
public sealed record TorchNativeStatus(TorchNativeMode Mode, string? LibraryPath, string Detail)
{
    /// <summary>The libtorch folder loaded (the bundle, <c>--libtorch</c>, <c>ARRAKIS_LIBTORCH</c> or a Python install), when Arrakis chose it.</summary>
    public LibtorchFolder? Libtorch { get; init; }

    /// <summary>The version-mismatch warning printed at load, or <c>null</c>.</summary>
    public string? Warning { get; init; }

    /// <summary>What the libtorch choice looked at (see <see cref="LibtorchSelection"/>).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
