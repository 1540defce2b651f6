using System.Diagnostics;

namespace Arrakis.Cli;

/// <summary>
/// Makes an <see cref="Environment.Exit"/> from a script or plugin visible: a process that ends while a command is
/// still running (not by returning from <c>Main</c>) prints which code called <c>Environment.Exit</c> and with which
/// exit code, on standard error, from <see cref="AppDomain.ProcessExit"/>. .NET gives no such hook for a stack
/// overflow or a fatal native error: those end the process without a word (docs/plugins.md, "What a plugin can
/// still do to the host").
/// </summary>
internal static class ExitWatch
{
    private static int _finished;

    /// <summary>Starts watching (once, at start-up).</summary>
    public static void Start() => AppDomain.CurrentDomain.ProcessExit += OnProcessExit;

    /// <summary>The command returned normally: the coming exit is expected.</summary>
    public static void Finished() => Volatile.Write(ref _finished, 1);

    private static void OnProcessExit(object? sender, EventArgs e)
    {
        if (Volatile.Read(ref _finished) == 1) return;
        // When ProcessExit runs on the calling thread the caller is on this stack; otherwise it is named generically.
        string caller = new StackTrace().GetFrames()
            .Select(f => f.GetMethod())
            .Where(m => m?.DeclaringType is { } t && !IsHost(t.Assembly.GetName().Name))
            .Select(m => $"{m!.DeclaringType!.FullName}.{m.Name} ({m.DeclaringType.Assembly.GetName().Name})")
            .FirstOrDefault() ?? "the script or a plugin";
        Console.Error.WriteLine($"arrakis: Environment.Exit({Environment.ExitCode}) was called by {caller}; the session ends here " +
            "(records already in the experiment store are kept).");
        Console.Error.Flush();
    }

    private static readonly string? Command = typeof(ExitWatch).Assembly.GetName().Name; // "arrakis"

    private static bool IsHost(string? assembly) =>
        assembly is null || assembly == Command || assembly == "Arrakis.Scripting" || assembly.StartsWith("System", StringComparison.Ordinal)
        || assembly.StartsWith("Microsoft", StringComparison.Ordinal) || assembly == "mscorlib";
}
