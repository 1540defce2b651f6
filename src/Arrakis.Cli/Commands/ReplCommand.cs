using System.CommandLine;
using System.Text;
using Arrakis.Scripting;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis repl</c>: the script globals, interactively; multi-line input, <c>#help</c>, <c>#reset</c>, <c>#exit</c>.</summary>
internal static class ReplCommand
{
    internal const string Help = """
        Arrakis REPL: C# with the script globals.
          Model, Tokenizer, Tools, Bench, Args, Out, Cancellation, OutDir, Progress
          An expression without a semicolon prints its value; an incomplete line continues on the next one.
          #load "file.csx"   run a script file into this session
          #r "contracts.dll" reference an assembly
          #reset             forget every submission (and unload their code)
          #tools             the plugin load report as it is now (reloads and failures included)
          #help              this text
          #exit              leave (also Ctrl+D)
        Ctrl+C cancels the running submission (the session goes on).
        """;

    public static Command Create()
    {
        var options = new ScriptCommandOptions();
        var command = new Command("repl", "An interactive C# session with the script globals (Model, Tools, Bench, ...).");
        options.AddTo(command);
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), async () =>
        {
            using var session = options.Resolve(parse, []);
            bool verbose = parse.GetValue(Cli.Verbose);
            return await RunAsync(session.Host, session.NewGlobals(), Console.In, Console.Out, Console.Error, verbose, interactive: !Console.IsInputRedirected);
        }));
        return command;
    }

    /// <summary>The read-eval-print loop over <paramref name="input"/>; returns when input ends or on <c>#exit</c>.</summary>
    internal static async Task<int> RunAsync(ScriptHost host, ScriptGlobals globals, TextReader input, TextWriter output, TextWriter error, bool verbose, bool interactive)
    {
        using var repl = new ReplSession(host, globals);
        if (interactive) output.WriteLine($"arrakis repl — model {globals.ModelName ?? "?"} (loaded on first use). #help for help.");
        var buffer = new StringBuilder();
        int failures = 0;
        while (true)
        {
            if (interactive) output.Write(buffer.Length == 0 ? "> " : "* ");
            string? line = input.ReadLine();
            if (line is null) break;
            if (buffer.Length == 0)
            {
                string trimmed = line.Trim();
                if (trimmed.Length == 0) continue;
                if (trimmed is "#exit" or "#quit") break;
                if (trimmed == "#help") { output.WriteLine(Help); continue; }
                if (trimmed == "#reset") { repl.Reset(); output.WriteLine("(session reset)"); continue; }
                if (trimmed == "#tools") { output.Write(globals.Tools.Report?.ToString() ?? "(no plugin host: tools come only from code)\n"); continue; }
            }
            buffer.AppendLine(line);
            string code = buffer.ToString();
            if (!ReplSession.IsComplete(code) && !string.IsNullOrWhiteSpace(line)) continue;
            buffer.Clear();

            using var cancel = new CtrlC();
            try
            {
                object? value = await repl.SubmitAsync(code, cancel.Token);
                if (value is not null) output.WriteLine(value);
            }
            catch (ScriptCompilationException e)
            {
                failures++;
                foreach (var d in e.Diagnostics) error.WriteLine(d);
            }
            catch (ScriptRuntimeException e)
            {
                failures++;
                error.WriteLine(e.Describe(verbose));
            }
            catch (ScriptCanceledException e)
            {
                error.WriteLine(e.Abandoned ? "(cancelled; the submission ignored Cancellation and is still running in the background)" : "(cancelled)");
            }
        }
        // Piped input: a failing submission makes the whole run fail, as a script would.
        return !interactive && failures > 0 ? ExitCodes.ScriptFailed : ExitCodes.Ok;
    }
}
