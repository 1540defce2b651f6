namespace Arrakis;

/// <summary>Version facts shared by the host and plugins.</summary>
public static class ArrakisVersion
{
    /// <summary>The plugin API version; a plugin built for another major version is refused.</summary>
    public static readonly Version PluginApi = new(1, 0);

    /// <summary>The informational version of the Arrakis assemblies.</summary>
    public static string Product =>
        typeof(ArrakisVersion).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .FirstOrDefault()?.InformationalVersion ?? "0.0.0";
}
