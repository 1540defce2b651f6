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
          #status            the session: submissions, live tensors, memory, cancelled submissions still running
          #restart           end this process, saving the session's submissions to a file to #load in a new one
                             (the only way to stop a cancelled submission that ignores Cancellation)
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
            if (buffer.Length == 0 && host.AbandonedRuns is { Count: > 0 } running)
                error.WriteLine($"arrakis: warning: {running.Count} cancelled submission(s) still running in the background since " +
                    $"{running[0].Since:HH:mm:ss}, each keeping a core busy; #restart ends them.");
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
                if (trimmed == "#status") { output.Write(Status(host, repl)); continue; }
                if (trimmed == "#restart") return Restart(repl, output);
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

    /// <summary>What <c>#status</c> prints.</summary>
    internal static string Status(ScriptHost host, ReplSession repl)
    {
        var abandoned = host.AbandonedRuns;
        return $"""
            submissions     {repl.Submissions} ({repl.History.Count} kept for #restart)
            model           {(repl.Globals.ModelLoaded ? "loaded" : "not loaded yet")} ({repl.Globals.ModelName ?? "?"})
            live tensors    {TorchSharp.torch.Tensor.TotalCount:N0} (undisposed, reachable or awaiting collection)
            process memory  {Arrakis.Scripting.ScriptMemory.ResidentBytes() / (1024.0 * 1024):N0} MB resident; {Arrakis.Scripting.ScriptMemory.Collections} collection(s) by the memory guard
            background      {(abandoned.Count == 0 ? "nothing" : $"{abandoned.Count} cancelled submission(s) still running since {abandoned[0].Since:HH:mm:ss} (#restart ends them)")}

            """;
    }

    /// <summary>
    /// <c>#restart</c>: a thread cannot be stopped inside .NET, so the session ends with this process. Its submissions
    /// are saved to a file the next session can <c>#load</c>.
    /// </summary>
    private static int Restart(ReplSession repl, TextWriter output)
    {
        string file = Path.Combine(Path.GetTempPath(), $"arrakis-repl-{DateTime.Now:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}.csx");
        File.WriteAllText(file, string.Join("\n", repl.History.Select(code => code.TrimEnd())) + "\n");
        output.WriteLine($"(session ended: {repl.History.Count} submission(s) saved to {file}; start `arrakis repl` with the same options " +
            $"and type #load \"{file}\" to replay them; anything still running in the background ends with this process)");
        return ExitCodes.Ok;
    }
}
