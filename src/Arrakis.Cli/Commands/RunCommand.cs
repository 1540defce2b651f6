using System.CommandLine;
using System.Diagnostics;
using Arrakis.Scripting;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis run &lt;file.csx&gt; [--model NAME|DIR] [--device cpu|cuda|auto] [--plugins DIR…] [--out DIR] [-- script args]</c>.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var options = new ScriptCommandOptions();
        var file = new Argument<string>("script") { Description = "The .csx script to run." };
        var rest = new Argument<string[]>("args") { Description = "Arguments for the script (Args), after --.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("run", "Run a C# experiment script (.csx) against a model.") { file, rest };
        options.AddTo(command);
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), async () =>
        {
            using var session = options.Resolve(parse, parse.GetValue(rest) ?? []);
            using var cancel = new CtrlC();
            CompiledScript compiled = await session.Host.CompileFileAsync(parse.GetValue(file)!, cancel.Token);
            if (session.Timings)
                Console.Error.WriteLine($"arrakis: compile {compiled.CompileTime.TotalMilliseconds:F0} ms ({(compiled.FromCache ? "cached" : "compiled")}), {StartTime()} ms since process start");
            var globals = session.NewGlobals();
            ScriptRunResult result = await session.Host.RunAsync(compiled, globals, cancel.Token);
            if (result.Value is not null) Console.WriteLine(result.Value);
            if (session.Timings)
                Console.Error.WriteLine($"arrakis: run {result.RunTime.TotalMilliseconds:F0} ms{(globals.ModelLoaded ? $" (model {session.ModelName} loaded)" : " (model not loaded)")}, {StartTime()} ms since process start");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string StartTime() => (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds.ToString("F0");
}
