using System.CommandLine;
using System.Text.Json;
using Arrakis.Scripting.Models;
using Spectre.Console;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis models [NAME] [--json]</c>: the models <c>--model</c> knows by name, with their cards.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "Show this model's card.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var command = new Command("models", "List the models that --model accepts by name (with their cards).") { name, json };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            var entries = ModelCatalog.All;
            string defaultModel = ModelCatalog.DefaultModel;
            if (parse.GetValue(name) is string wanted)
            {
                entries = entries.Where(e => string.Equals(e.Name, wanted, StringComparison.OrdinalIgnoreCase)).ToList();
                if (entries.Count == 0)
                    throw new CliException($"Unknown model '{wanted}'. Known models: {string.Join(", ", ModelCatalog.Names)}.");
            }
            if (parse.GetValue(json))
            {
                var rows = entries.Select(e => new { name = e.Name, description = e.Description, isDefault = e.Name == defaultModel, card = e.Card });
                Console.WriteLine(JsonSerializer.Serialize(rows, CliJson.Options));
                return Task.FromResult(ExitCodes.Ok);
            }
            if (entries.Count == 1 && parse.GetValue(name) is not null)
            {
                var e = entries[0];
                Console.WriteLine(e.Card ?? $"# {e.Name}\n{e.Description}");
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumn("model").AddColumn("description");
            foreach (var e in entries)
                table.AddRow(Markup.Escape(e.Name + (e.Name == defaultModel ? " (default)" : "")), Markup.Escape(e.Description));
            AnsiConsole.Write(table);
            Console.WriteLine("A model folder (config.json + model.safetensors) works too: --model DIR.  `arrakis models NAME` shows a card.");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
