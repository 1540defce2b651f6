namespace Arrakis.Bench;

/// <summary>Finds <c>Arrakis.Plots.RunFigureWriter</c> by name, so Arrakis.Bench does not depend on the plotting assembly.</summary>
internal static class DefaultFigureWriter
{
    private const string TypeName = "Arrakis.Plots.RunFigureWriter, Arrakis.Plots";

    /// <summary>The writer's type, looked up once per process (null when Arrakis.Plots cannot be loaded).</summary>
    private static readonly Lazy<Type?> s_type = new(Find);

    /// <summary>A new writer, or null when Arrakis.Plots cannot be loaded.</summary>
    public static IFigureWriter? Create()
    {
        try
        {
            return s_type.Value is { } type ? Activator.CreateInstance(type) as IFigureWriter : null;
        }
        catch (Exception e) when (e is MissingMethodException)
        {
            return null;
        }
    }

    private static Type? Find()
    {
        try
        {
            return Type.GetType(TypeName, throwOnError: false);
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException or TypeLoadException)
        {
            return null;
        }
    }
}
