namespace Arrakis;

/// <summary>
/// Declares the Arrakis plugin API version a plugin assembly was built for. The host reads it from the
/// assembly's metadata before running any plugin code and refuses a plugin whose major version differs from
/// <see cref="ArrakisVersion.PluginApi"/>; a plugin assembly without it is refused too.
/// </summary>
/// <example>
/// Written with the constants, the attribute records the version of the Arrakis.Abstractions the plugin was
/// compiled against:
/// <code>[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]</code>
/// </example>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public sealed class PluginApiAttribute(int major, int minor) : Attribute
{
    /// <summary>The major version; must equal the host's <see cref="ArrakisVersion.PluginApiMajor"/>.</summary>
    public int Major { get; } = major;

    /// <summary>The minor version.</summary>
    public int Minor { get; } = minor;

    /// <summary>The declared version as a <see cref="System.Version"/>.</summary>
    public Version Version => new(Major, Minor);
}
