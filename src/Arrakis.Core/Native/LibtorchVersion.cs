using System.Globalization;
using System.Text.RegularExpressions;

namespace Arrakis.Native;

/// <summary>
/// A libtorch version such as <c>2.11.0+cu130</c>: what PyTorch writes in <c>torch/version.py</c>
/// (<c>__version__ = '2.11.0+cu130'</c>) and a libtorch download in <c>build-version</c>.
/// </summary>
/// <param name="Major">2 in 2.11.0.</param>
/// <param name="Minor">11 in 2.11.0.</param>
/// <param name="Patch">0 in 2.11.0.</param>
/// <param name="Local">The local part after <c>+</c> (<c>cu130</c>, <c>cpu</c>), or <c>null</c>.</param>
public sealed partial record LibtorchVersion(int Major, int Minor, int Patch, string? Local = null)
{
    /// <summary>The libtorch TorchSharp 0.107's <c>libLibTorchSharp.so</c> was built against (a test checks it against <c>torch.__version__</c>).</summary>
    public static readonly LibtorchVersion TorchSharpBuild = new(2, 10, 0);

    [GeneratedRegex(@"^\s*v?(?<major>\d+)\.(?<minor>\d+)(?:\.(?<patch>\d+))?(?:\.\d+)*(?:[a-z]+\d*)?(?:\+(?<local>[A-Za-z0-9.]+))?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^\s*(?<name>__version__|cuda)\s*(?::\s*[^=]+)?=\s*['""](?<value>[^'""]*)['""]", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex PythonAssignment();

    /// <summary>Parses <c>2.11.0</c>, <c>2.11.0+cu130</c>, <c>2.10.0.0</c>, <c>2.12.0a0+git1234</c> or <c>2.11</c>.</summary>
    /// <exception cref="FormatException">Not a version; the message quotes the text.</exception>
    public static LibtorchVersion Parse(string text) =>
        TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not a libtorch version (expected MAJOR.MINOR[.PATCH][+LOCAL], e.g. 2.11.0+cu130).");

    /// <summary>Parses like <see cref="Parse"/>; false instead of an exception.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LibtorchVersion? version)
    {
        version = null;
        if (text is null || Pattern().Match(text) is not { Success: true } m)
            return false;
        version = new LibtorchVersion(
            int.Parse(m.Groups["major"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["minor"].Value, CultureInfo.InvariantCulture),
            m.Groups["patch"].Success ? int.Parse(m.Groups["patch"].Value, CultureInfo.InvariantCulture) : 0,
            m.Groups["local"].Success ? m.Groups["local"].Value : null);
        return true;
    }

    /// <summary>
    /// Reads <c>__version__</c> and <c>cuda</c> from the text of a PyTorch <c>version.py</c>
    /// (<c>__version__ = '2.11.0+cu130'</c>, <c>cuda: Optional[str] = '13.0'</c>).
    /// </summary>
    /// <returns>The version (or <c>null</c> when absent or malformed) and the CUDA version (<c>null</c> for a CPU build).</returns>
    public static (LibtorchVersion? Version, string? Cuda) ParseVersionPy(string text)
    {
        LibtorchVersion? version = null;
        string? cuda = null;
        foreach (Match m in PythonAssignment().Matches(text))
        {
            string value = m.Groups["value"].Value;
            if (m.Groups["name"].Value == "__version__")
                TryParse(value, out version);
            else if (value.Length > 0)
                cuda = value;
        }
        return (version, cuda);
    }

    /// <summary>True when major and minor agree (the ABI TorchSharp's native library relies on).</summary>
    public bool SameMinor(LibtorchVersion other) => Major == other.Major && Minor == other.Minor;

    /// <inheritdoc/>
    public override string ToString() => $"{Major}.{Minor}.{Patch}{(Local is null ? "" : "+" + Local)}";
}
