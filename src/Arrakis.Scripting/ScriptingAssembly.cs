namespace Arrakis.Scripting;

/// <summary>Marker for the script host assembly (the host itself arrives with its own issue).</summary>
public static class ScriptingAssembly
{
    /// <summary>The assembly's name.</summary>
    public const string Name = "Arrakis.Scripting";
}
