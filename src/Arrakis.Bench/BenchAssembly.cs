namespace Arrakis.Bench;

/// <summary>Marker for the experiment bench assembly (the bench itself arrives with its own issue).</summary>
public static class BenchAssembly
{
    /// <summary>The assembly's name.</summary>
    public const string Name = "Arrakis.Bench";
}
