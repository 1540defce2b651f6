using System.Runtime.InteropServices;
using Arrakis.Cli.Commands;
using Arrakis.Scripting;

namespace Arrakis.Cli;

/// <summary>Turns errors into one clear message and an exit code; stack traces only with <c>--verbose</c>.</summary>
internal static class CliErrors
{
    public static async Task<int> Guard(bool verbose, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (ScriptCompilationException e)
        {
            foreach (var d in e.Diagnostics) Console.Error.WriteLine(d);
            Console.Error.WriteLine($"arrakis: the script did not compile ({e.Diagnostics.Count} error{(e.Diagnostics.Count == 1 ? "" : "s")}); nothing ran.");
            return ExitCodes.ScriptFailed;
        }
        catch (ScriptRuntimeException e)
        {
            Console.Error.WriteLine(e.Describe(verbose));
            return ExitCodes.ScriptFailed;
        }
        catch (ScriptCanceledException e)
        {
            Console.Error.WriteLine($"arrakis: cancelled{(e.Abandoned ? " (the script ignored Cancellation and was stopped)" : "")}.");
            return ExitCodes.Cancelled;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("arrakis: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (ScriptNotFoundException e)
        {
            Console.Error.WriteLine($"arrakis: error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"arrakis: error: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"arrakis: error: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            else Console.Error.WriteLine("(run with --verbose for the stack trace)");
            return ExitCodes.ScriptFailed;
        }
    }
}

/// <summary>Ctrl+C and SIGTERM as a cancellation token (the first press cancels; the process is not killed).</summary>
internal sealed class CtrlC : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration? _term;

    public CtrlC()
    {
        Console.CancelKeyPress += OnCancel;
        try { _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; _cts.Cancel(); }); }
        catch (PlatformNotSupportedException) { }
    }

    public CancellationToken Token => _cts.Token;

    private void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _cts.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancel;
        _term?.Dispose();
        _cts.Dispose();
    }
}
