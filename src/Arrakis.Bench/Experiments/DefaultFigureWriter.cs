namespace Arrakis.Bench;

/// <summary>Finds <c>Arrakis.Plots.RunFigureWriter</c> by name, so Arrakis.Bench does not depend on the plotting assembly.</summary>
internal static class DefaultFigureWriter
{
    private const string TypeName = "Arrakis.Plots.RunFigureWriter, Arrakis.Plots";

    /// <summary>A new writer, or null when Arrakis.Plots cannot be loaded.</summary>
    public static IFigureWriter? Create()
    {
        try
        {
            return Type.GetType(TypeName, throwOnError: false) is { } type ? Activator.CreateInstance(type) as IFigureWriter : null;
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException or TypeLoadException or MissingMethodException)
        {
            return null;
        }
    }
}
