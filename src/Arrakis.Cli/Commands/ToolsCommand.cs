using System.CommandLine;
using System.Text.Json;
using Arrakis.Bench.Plugins;
using Spectre.Console;

namespace Arrakis.Cli.Commands;

/// <summary>
/// <c>arrakis tools [--plugins DIR…] [--json]</c>: the plugin load report — folders, plugins, tools, versions,
/// failures. Every tool is constructed (each waited for at most the construction timeout), so the report says whether
/// each one works. Exits <see cref="ExitCodes.PluginsFailed"/> when any listed plugin failed.
/// </summary>
internal static class ToolsCommand
{
    public static Command Create()
    {
        var plugins = new Option<string[]>("--plugins") { Description = "Plugin folders to load (repeatable), besides ARRAKIS_PLUGIN_PATH, plugins.json and the built-in folder.", HelpName = "DIR", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var command = new Command("tools", "Load the plugins and report every folder, plugin, tool, version and failure.") { plugins, json };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            using var host = Plugins.Load(parse.GetValue(plugins) ?? [], warn: false);
            PluginLoadReport report = host.ConstructTools();
            int exit = report.Failed.Any() ? ExitCodes.PluginsFailed : ExitCodes.Ok;
            if (parse.GetValue(json))
            {
                var doc = new
                {
                    folders = report.Folders.Select(f => new { path = f.Path, source = f.Source.ToString(), status = f.Status.ToString(), message = f.Message }),
                    plugins = report.Plugins.Select(p => new
                    {
                        name = p.Name, folder = p.Folder, status = p.Status.ToString(), version = p.Version?.ToString(),
                        tools = p.Tools.Select(t => new { name = t.Name, contract = t.Contract.FullName, implementation = t.Implementation }),
                        failure = p.Failure?.ToString(), reason = p.Reason, warnings = p.Warnings,
                    }),
                };
                Console.WriteLine(JsonSerializer.Serialize(doc, CliJson.Options));
                return Task.FromResult(exit);
            }
            var folders = new Table().AddColumn("plugin folder").AddColumn("from").AddColumn("status");
            foreach (var f in report.Folders)
                folders.AddRow(Markup.Escape(f.Path), f.Source.ToString(), Markup.Escape(f.Status + (f.Message is null ? "" : $": {f.Message}")));
            AnsiConsole.Write(folders);
            if (report.Plugins.Count == 0)
            {
                Console.WriteLine("No plugins found. Add folders with --plugins DIR, ARRAKIS_PLUGIN_PATH or plugins.json (docs/plugins.md).");
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumn("plugin").AddColumn("status").AddColumn("version").AddColumn("tools").AddColumn("problem");
            foreach (var p in report.Plugins)
            {
                string tools = string.Join(", ", p.Tools.Select(t => $"{t.Name} ({t.Contract.Name})"));
                string problem = string.Join("; ", new[] { p.Failure is null ? null : $"{p.Failure}: {p.Reason}" }.Concat(p.Warnings).OfType<string>());
                table.AddRow(Markup.Escape(p.Name), p.Status.ToString(), Markup.Escape(p.Version?.ToString() ?? ""), Markup.Escape(tools), Markup.Escape(problem));
            }
            AnsiConsole.Write(table);
            if (exit != ExitCodes.Ok)
                Console.Error.WriteLine($"arrakis: {report.Failed.Count()} plugin(s) failed to load: {string.Join(", ", report.Failed.Select(p => p.Name))} (exit {exit}).");
            return Task.FromResult(exit);
        }));
        return command;
    }
}
