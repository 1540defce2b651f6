using System.CommandLine;
using System.Diagnostics;
using Arrakis.Bench;
using Arrakis.Plots;

namespace Arrakis.Cli.Commands;

/// <summary>
/// <c>arrakis report EXPERIMENT [--run ID] [--out STORE] [--html FILE] [--open]</c>: one self-contained HTML page (inline
/// style and script, no network) of a stored run, or of every run of the experiment.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("experiment") { Description = "The experiment's name (as in `arrakis experiments list`)." };
        var run = new Option<string?>("--run") { Description = "Only this run (its id); default: every run of the experiment.", HelpName = "ID" };
        var store = new Option<string>("--out", "-o") { Description = "The experiment store's folder.", DefaultValueFactory = _ => "experiments", HelpName = "DIR" };
        var html = new Option<string?>("--html") { Description = "Where to write the page; default {store}/{experiment}/reports/{run id or all-runs}.html.", HelpName = "FILE" };
        var open = new Option<bool>("--open") { Description = "Open the page in the default browser (xdg-open) afterwards." };
        var command = new Command("report", "Write a self-contained HTML report (parameters, code version and source, figures, tables) of a stored run or experiment.")
        {
            name, run, store, html, open,
        };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            string dir = parse.GetValue(store)!;
            if (!Directory.Exists(dir)) throw new CliException($"No experiment store at '{dir}' (nothing has been recorded there; see --out).");
            var s = new ExperimentStore(dir, message => Console.Error.WriteLine($"arrakis: warning: {message}"));
            var started = Stopwatch.StartNew();
            string path;
            try
            {
                path = ReportBuilder.Write(s, parse.GetValue(name)!, parse.GetValue(run), parse.GetValue(html),
                    message => Console.Error.WriteLine($"arrakis: warning: {message}"));
            }
            catch (KeyNotFoundException e)
            {
                throw new CliException(e.Message);
            }
            Console.WriteLine(path);
            Console.Error.WriteLine($"arrakis: report written in {started.ElapsedMilliseconds} ms, {new FileInfo(path).Length / 1024.0:F1} KiB");
            if (parse.GetValue(open)) Open(path);
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }

    private static void Open(string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(OperatingSystem.IsWindows() ? path : OperatingSystem.IsMacOS() ? "open" : "xdg-open")
            {
                ArgumentList = { path }, UseShellExecute = OperatingSystem.IsWindows(),
            });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Console.Error.WriteLine($"arrakis: warning: could not open a browser ({e.Message}); open {path} yourself.");
        }
    }
}
