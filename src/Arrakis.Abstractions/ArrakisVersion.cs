namespace Arrakis;

/// <summary>Version facts shared by the host and plugins.</summary>
public static class ArrakisVersion
{
    /// <summary>Major part of the plugin API version; a plugin built for another major version is refused.</summary>
    public const int PluginApiMajor = 1;

    /// <summary>Minor part of the plugin API version (additions only; any minor of the same major loads).</summary>
    public const int PluginApiMinor = 0;

    /// <summary>The plugin API version; a plugin built for another major version is refused.</summary>
    public static readonly Version PluginApi = new(PluginApiMajor, PluginApiMinor);

    /// <summary>The informational version of the Arrakis assemblies.</summary>
    public static string Product =>
        typeof(ArrakisVersion).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .FirstOrDefault()?.InformationalVersion ?? "0.0.0";
}
