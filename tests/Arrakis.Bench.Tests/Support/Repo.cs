using System.Reflection;

namespace Arrakis.Bench.Tests.Support;

/// <summary>Paths in the repository and in the test's output folder.</summary>
public static class Repo
{
    public static string Root { get; } = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>The template's content folder (what <c>dotnet new install</c> takes).</summary>
    public static string TemplateContent => Path.Combine(Root, "plugins", "Arrakis.Plugin.Template", "content");

    /// <summary>The Arrakis.Abstractions the tests run against: plugins built at test time compile against it.</summary>
    public static string AbstractionsDll => typeof(ToolAttribute).Assembly.Location;

    /// <summary>The built-in plugins folder beside this test host (the sample plugin is deployed there).</summary>
    public static string BuiltInPlugins => Path.Combine(AppContext.BaseDirectory, "plugins");
}
