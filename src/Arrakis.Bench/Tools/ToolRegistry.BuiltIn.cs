using Arrakis.Bench.Plugins;

namespace Arrakis.Bench.Tools;

public sealed partial class ToolRegistry
{
    /// <summary>The built-in tools every bench can use: <c>decomposer</c>, <c>logit</c>, <c>composer</c>.</summary>
    public static IReadOnlyList<string> BuiltInToolNames { get; } = ["composer", "decomposer", "logit"];

    /// <summary>
    /// A registry holding the built-in tools (<c>decomposer</c>, <c>logit</c>, <c>composer</c>), loaded through a
    /// <see cref="PluginHost"/> from the built-in plugins folder beside the application
    /// (<see cref="PluginHostOptions.BuiltInFolder"/>, where the <c>Arrakis.Tools.BuiltIn</c> package and the
    /// repository's deploy targets put them). Reads no environment variable or configuration file and watches nothing:
    /// what an experiment suite needs, in one line.
    /// </summary>
    /// <example><code>
    /// public partial class Suite(HookedTransformer model, string saveDir)
    ///     : InterpretabilityBench(model, saveDir, ToolRegistry.WithBuiltInTools());
    /// </code></example>
    /// <param name="builtInFolder">The folder holding the plugins (default <see cref="PluginHostOptions.BuiltInFolder"/>).</param>
    /// <returns>A new registry; register more tools on it with <see cref="Register{TContract}"/>.</returns>
    /// <exception cref="InvalidOperationException">A built-in tool did not load; the message holds the load report and the fix.</exception>
    public static ToolRegistry WithBuiltInTools(string? builtInFolder = null)
    {
        var options = new PluginHostOptions { HotReload = false };
        options.AddFolder(builtInFolder ?? PluginHostOptions.BuiltInFolder, PluginFolderSource.BuiltIn);
        // The host is not disposed: its load contexts serve the registry's tools for as long as they are used.
        var host = new PluginHost(options);
        PluginLoadReport report = host.Load();
        string[] missing = BuiltInToolNames.Where(name => !host.Registry.Contains(name)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"The built-in tool{(missing.Length == 1 ? "" : "s")} {string.Join(", ", missing.Select(n => $"'{n}'"))} did not load from " +
                $"{options.Folders[0].Path}. A project outside the Arrakis repository gets them from the Arrakis.Tools.BuiltIn " +
                "package (it copies them to plugins/ in the output folder); add <PackageReference Include=\"Arrakis.Tools.BuiltIn\" />. " +
                $"Load report:{Environment.NewLine}{report}");
        }
        return host.Registry;
    }
}
