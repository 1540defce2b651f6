using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tools;
using Arrakis.Cli.Commands;

namespace Arrakis.Cli;

/// <summary>The plugin host as the commands use it: folders from <c>--plugins</c>, the environment, plugins.json and the built-in folder.</summary>
internal static class Plugins
{
    /// <summary>
    /// Checks the <c>--plugins</c> folders (a missing one is bad input), then loads every plugin; failures become
    /// warnings. With <paramref name="warn"/>, every later change that fails (a hot reload that cannot load, a deleted
    /// assembly, a tool whose constructor throws on first use) is printed on <paramref name="error"/> (default:
    /// standard error) when it happens, so a running script or REPL hears of it.
    /// </summary>
    /// <exception cref="CliException">A <c>--plugins</c> folder does not exist or is a file.</exception>
    public static PluginHost Load(IReadOnlyList<string> folders, bool warn = true, TextWriter? error = null)
    {
        foreach (string folder in folders)
        {
            if (File.Exists(folder)) throw new CliException($"Plugin folder '{folder}' is a file, not a folder.");
            if (!Directory.Exists(folder)) throw new CliException($"Plugin folder '{folder}' does not exist.");
        }
        PluginHostOptions options;
        try { options = PluginHostOptions.Resolve(commandLineFolders: folders); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new CliException(e.Message); }
        var host = new PluginHost(options);
        var report = host.Load();
        if (warn)
        {
            error ??= Console.Error;
            foreach (var failed in report.Failed)
                error.WriteLine($"arrakis: warning: plugin {failed.Name} ({failed.Folder}) did not load — {failed.Failure}: {failed.Reason}");
            host.PluginChanged += (_, changed) =>
            {
                if (changed.Failure is null)
                {
                    error.WriteLine($"arrakis: plugin {changed.Name} reloaded: {changed.Version} serves [{string.Join(", ", changed.Tools.Select(t => t.Name))}]");
                    return;
                }
                string state = changed.Status == PluginStatus.ServingPreviousVersion ? $"still serving {changed.Version}" : "its tools are withdrawn";
                error.WriteLine($"arrakis: warning: plugin {changed.Name} changed and failed ({state}) — {changed.Failure}: {changed.Reason}");
            };
        }
        return host;
    }

    /// <summary>
    /// The files of the tool contract assemblies the loaded tools are typed by, for scripts to compile against: the
    /// host's own contracts by their location, contracts shipped in a plugin folder from that folder (the plugin
    /// host loads those from memory).
    /// </summary>
    public static IReadOnlyList<string> ContractPaths(PluginHost host)
    {
        var report = host.Report;
        var paths = new List<string>();
        foreach (ToolDescriptor tool in host.Registry.Tools)
        {
            var assembly = tool.Contract.Assembly;
            if (!string.IsNullOrEmpty(assembly.Location))
            {
                paths.Add(assembly.Location);
                continue;
            }
            if (report[tool.Source]?.Folder is string folder)
            {
                string candidate = Path.Combine(folder, assembly.GetName().Name + ".dll");
                if (File.Exists(candidate)) paths.Add(candidate);
            }
        }
        return paths.Distinct(StringComparer.Ordinal).ToList();
    }
}
