using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arrakis.Bench;
using Spectre.Console;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis experiments list|show|diff|verify</c>: the experiment store (<c>--out</c>, default <c>experiments</c>).</summary>
internal static class ExperimentsCommand
{
    public static Command Create()
    {
        var command = new Command("experiments", "Read the experiment store: list experiments, show runs, diff code versions.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Diff());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Option<string> StoreOption() => new("--out", "-o")
    {
        Description = "The experiment store's folder.", DefaultValueFactory = _ => "experiments", HelpName = "DIR",
    };

    private static Option<bool> JsonOption() => new("--json") { Description = "Machine-readable output." };

    private static ExperimentStore Open(string dir)
    {
        if (!Directory.Exists(dir)) throw new CliException($"No experiment store at '{dir}' (nothing has been recorded there; see --out).");
        return new ExperimentStore(dir, message => Console.Error.WriteLine($"arrakis: warning: {message}"));
    }

    private static IEnumerable<string> ExperimentNames(string dir) =>
        Directory.EnumerateDirectories(dir).Where(d => File.Exists(Path.Combine(d, "runs.jsonl"))).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    private static Command List()
    {
        var store = StoreOption();
        var json = JsonOption();
        var command = new Command("list", "Every experiment with its runs and code versions.") { store, json };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            string dir = parse.GetValue(store)!;
            var s = Open(dir);
            var rows = ExperimentNames(dir).Select(name =>
            {
                var runs = s.ReadRuns(name);
                var last = runs.Count == 0 ? null : runs[^1];
                return new
                {
                    experiment = name, runs = runs.Count, versions = runs.Select(r => r.CodeVersion).Distinct().Count(),
                    lastRun = last?.StartedAt, lastStatus = last?.Status, lastVersion = last?.CodeVersion, model = last?.Model?.Name,
                };
            }).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, CliJson.Options));
                return Task.FromResult(ExitCodes.Ok);
            }
            if (rows.Count == 0)
            {
                Console.WriteLine($"No experiments recorded in {dir}.");
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumn("experiment").AddColumn("runs").AddColumn("versions").AddColumn("last run").AddColumn("status").AddColumn("model");
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.experiment), r.runs.ToString(), r.versions.ToString(), $"{r.lastRun:yyyy-MM-dd HH:mm:ss}",
                    Markup.Escape(r.lastStatus ?? ""), Markup.Escape(r.model ?? ""));
            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static Command Show()
    {
        var store = StoreOption();
        var json = JsonOption();
        var name = new Argument<string>("experiment") { Description = "The experiment's name." };
        var version = new Option<string?>("--version") { Description = "Only this code version (with its source).", HelpName = "HASH" };
        var last = new Option<int>("--last") { Description = "How many runs to show.", DefaultValueFactory = _ => 10 };
        var strict = new Option<bool>("--strict") { Description = $"Fail (exit {ExitCodes.DamagedStore}) if any line of runs.jsonl is damaged, naming each file:line." };
        var command = new Command("show", "The runs of one experiment (latest last), or one code version with its source.") { name, store, version, last, json, strict };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            string dir = parse.GetValue(store)!, experiment = parse.GetValue(name)!;
            var s = Open(dir);
            ExperimentRuns read = s.Read(experiment); // the file is read once; each damaged line is reported once
            if (parse.GetValue(strict) && read.Damaged.Count > 0) return Task.FromResult(ReportDamage(read));
            foreach (DamagedRecord d in read.Damaged) Console.Error.WriteLine($"arrakis: warning: {d.Path}:{d.Line}: skipped a corrupted experiment record ({d.Reason})");
            IReadOnlyList<ExperimentRecord> runs = read.Records;
            if (runs.Count == 0)
                throw new CliException($"No experiment '{experiment}' in {dir}. Recorded: {string.Join(", ", ExperimentNames(dir).DefaultIfEmpty("none"))}.");
            var versions = read.Versions;
            string? source = null;
            if (parse.GetValue(version) is string v)
            {
                var found = s.GetVersion(read, v) ?? throw new CliException(
                    $"No code version '{v}' of {experiment}. Versions: {string.Join(", ", versions.Select(x => x.CodeVersion))}.");
                runs = found.Runs;
                source = found.Source;
            }
            var shown = runs.TakeLast(Math.Max(1, parse.GetValue(last))).ToList();
            if (parse.GetValue(json))
            {
                var node = new JsonObject
                {
                    ["experiment"] = experiment,
                    ["source"] = source,
                    ["runs"] = JsonSerializer.SerializeToNode(shown, ExperimentJson.RecordOptions),
                };
                Console.WriteLine(node.ToJsonString(CliJson.Options));
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.WriteLine($"{experiment}: {runs.Count} run(s) shown from {dir}; versions {string.Join(", ", versions.Select(x => $"{x.CodeVersion} ({x.Runs})"))}");
            foreach (var r in shown)
            {
                Console.WriteLine();
                Console.WriteLine($"run {r.RunId}  version {r.CodeVersion}  {r.Status}  {r.StartedAt:yyyy-MM-dd HH:mm:ss}  {r.DurationMs:F0} ms  model {r.Model?.Name}");
                if (r.Error is not null) Console.WriteLine($"  error: {r.Error}");
                if (r.Arguments is { Count: > 0 }) Console.WriteLine($"  arguments: {Short(r.Arguments)}");
                if (r.Result is not null) Console.WriteLine($"  result: {Short(r.Result)}");
                if (r.Tools.Count > 0) Console.WriteLine($"  tools: {string.Join(", ", r.Tools.Select(t => $"{t.Name} ({t.Assembly} {t.Version})"))}");
                if (r.Figures.Count > 0) Console.WriteLine($"  figures: {string.Join(", ", r.Figures.Select(f => f.Title))}");
                // The run's report: its page when one was written, else the command that writes it.
                string page = Arrakis.Plots.ReportBuilder.DefaultPath(s, experiment, r.RunId);
                Console.WriteLine(File.Exists(page) ? $"  report: file://{page}" : $"  report: arrakis report {experiment} --run {r.RunId} --out {dir}");
            }
            if (source is not null)
            {
                Console.WriteLine();
                Console.WriteLine(source);
            }
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static Command Diff()
    {
        var store = StoreOption();
        var name = new Argument<string>("experiment") { Description = "The experiment's name." };
        var from = new Argument<string>("from") { Description = "The older code version." };
        var to = new Argument<string>("to") { Description = "The newer code version." };
        var command = new Command("diff", "A unified diff of two code versions' source.") { name, from, to, store };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            var s = Open(parse.GetValue(store)!);
            try
            {
                Console.Write(s.DiffSource(parse.GetValue(name)!, parse.GetValue(from)!, parse.GetValue(to)!));
            }
            catch (KeyNotFoundException e)
            {
                throw new CliException(e.Message);
            }
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static Command Verify()
    {
        var store = StoreOption();
        var name = new Argument<string>("experiment") { Description = "The experiment's name." };
        var command = new Command("verify",
            $"Read every line of an experiment's runs.jsonl; exit {ExitCodes.DamagedStore} naming each damaged line (file:line), 0 when all are readable.") { name, store };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            string dir = parse.GetValue(store)!, experiment = parse.GetValue(name)!;
            ExperimentRuns read = Open(dir).Read(experiment);
            if (read.Records.Count == 0 && read.Damaged.Count == 0)
                throw new CliException($"No experiment '{experiment}' in {dir}. Recorded: {string.Join(", ", ExperimentNames(dir).DefaultIfEmpty("none"))}.");
            if (read.Damaged.Count > 0) return Task.FromResult(ReportDamage(read));
            Console.WriteLine($"{experiment}: {read.Records.Count} record(s), every line readable.");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    /// <summary>Names each damaged line as <c>file:line: error: …</c> on standard error; returns <see cref="ExitCodes.DamagedStore"/>.</summary>
    private static int ReportDamage(ExperimentRuns read)
    {
        foreach (DamagedRecord d in read.Damaged) Console.Error.WriteLine($"{d.Path}:{d.Line}: error: damaged experiment record ({d.Reason})");
        Console.Error.WriteLine($"arrakis: {read.Experiment}: {read.Damaged.Count} damaged line(s), {read.Records.Count} readable record(s).");
        return ExitCodes.DamagedStore;
    }

    private static string Short(JsonNode node)
    {
        string text = node.ToJsonString();
        return text.Length <= 300 ? text : text[..300] + "…";
    }
}
