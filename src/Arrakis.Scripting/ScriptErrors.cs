using System.Diagnostics;

namespace Arrakis.Scripting;

/// <summary>A compile-time problem of a script, in the compiler's own format.</summary>
/// <param name="File">The file's path as the user wrote it (relative to the working folder when possible).</param>
/// <param name="Line">1-based.</param>
/// <param name="Column">1-based.</param>
/// <param name="Severity"><c>error</c> or <c>warning</c>.</param>
/// <param name="Id">e.g. <c>CS0103</c> or <c>ARK001</c>.</param>
/// <param name="Message">The compiler's message.</param>
public sealed record ScriptDiagnostic(string File, int Line, int Column, string Severity, string Id, string Message)
{
    /// <summary><c>file.csx(line,col): error ID: message</c>.</summary>
    public override string ToString() => $"{File}({Line},{Column}): {Severity} {Id}: {Message}";
}

/// <summary>Base of the script host's errors: each message is meant for the user, without a stack trace.</summary>
public class ScriptException : Exception
{
    /// <summary>An error with a user-facing message.</summary>
    public ScriptException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The script file (or a file it loads) does not exist or cannot be read.</summary>
public sealed class ScriptNotFoundException(string message) : ScriptException(message);

/// <summary>The script does not compile (CS and ARK errors alike); nothing ran.</summary>
public sealed class ScriptCompilationException(IReadOnlyList<ScriptDiagnostic> diagnostics)
    : ScriptException(string.Join(Environment.NewLine, diagnostics))
{
    /// <summary>The errors, in source order.</summary>
    public IReadOnlyList<ScriptDiagnostic> Diagnostics { get; } = diagnostics;
}

/// <summary>The script threw; <see cref="Exception.InnerException"/> is what it threw.</summary>
public sealed class ScriptRuntimeException : ScriptException
{
    /// <summary>Wraps what the script threw.</summary>
    public ScriptRuntimeException(Exception thrown)
        : base($"{thrown.GetType().FullName}: {thrown.Message}", thrown)
    {
        Thrown = thrown;
        ScriptFrames = FramesOf(thrown);
    }

    /// <summary>What the script threw.</summary>
    public Exception Thrown { get; }

    /// <summary>The stack frames in script files (.csx), innermost first, as <c>file.csx:line in Method</c>.</summary>
    public IReadOnlyList<string> ScriptFrames { get; }

    /// <summary>
    /// <c>file.csx(line): error: Type: message</c> for the innermost script frame, then the other script frames; the
    /// full exception when <paramref name="verbose"/>.
    /// </summary>
    public string Describe(bool verbose = false)
    {
        var where = ScriptFrames.Count > 0 ? Location(Thrown) : null;
        var text = $"{(where is null ? "" : where + ": ")}error: {Message}";
        if (ScriptFrames.Count > 1) text += Environment.NewLine + string.Join(Environment.NewLine, ScriptFrames.Skip(1).Select(f => "   called from " + f));
        if (verbose) text += Environment.NewLine + Thrown;
        return text;
    }

    private static string? Location(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            foreach (var frame in new StackTrace(x, true).GetFrames())
            {
                if (IsScript(frame.GetFileName())) return $"{ScriptPaths.Display(frame.GetFileName()!)}({frame.GetFileLineNumber()})";
            }
        }
        return null;
    }

    private static List<string> FramesOf(Exception e)
    {
        var frames = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            foreach (var frame in new StackTrace(x, true).GetFrames())
            {
                string? file = frame.GetFileName();
                if (!IsScript(file)) continue;
                string name = FrameName(frame.GetMethod());
                frames.Add($"{ScriptPaths.Display(file!)}:line {frame.GetFileLineNumber()} in {name}");
            }
            if (frames.Count > 0) break;
        }
        return frames;
    }

    /// <summary>The method as the script wrote it: <c>F</c>, <c>Probe.Run</c> or <c>top level</c> (async state machines unwrapped).</summary>
    private static string FrameName(System.Reflection.MethodBase? method)
    {
        if (method is null) return "?";
        Type? type = method.DeclaringType;
        string name = method.Name;
        // Async/iterator state machines: <Name>d__N.MoveNext; local functions: <Outer>g__Name|0_0.
        if (type is not null && type.Name.StartsWith('<') && name == "MoveNext")
        {
            name = type.Name[1..type.Name.IndexOf('>')];
            type = type.DeclaringType;
        }
        int local = name.IndexOf(">g__", StringComparison.Ordinal);
        if (local >= 0) name = name[(local + 4)..].Split('|')[0];
        if (name.StartsWith('<') || name == "<Initialize>" || name == "<Initialize") return "top level";
        string owner = type is null || type.Name.StartsWith("Submission#", StringComparison.Ordinal) ? "" : type.Name + ".";
        return name == "Initialize" || name.StartsWith("<Initialize", StringComparison.Ordinal) ? "top level" : owner + name;
    }

    private static bool IsScript(string? file) => file is not null && file.EndsWith(".csx", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The script was cancelled (Ctrl+C).</summary>
/// <param name="abandoned">True when the script did not stop within the grace period and was left running.</param>
public sealed class ScriptCanceledException(bool abandoned)
    : ScriptException(abandoned ? "The script was cancelled and did not stop within the grace period." : "The script was cancelled.")
{
    /// <summary>Whether the script's thread was left running (it ignored <see cref="ScriptGlobals.Cancellation"/>).</summary>
    public bool Abandoned { get; } = abandoned;
}

/// <summary>Paths as shown to the user.</summary>
internal static class ScriptPaths
{
    /// <summary>Relative to the working folder when the file is under it, otherwise the full path.</summary>
    public static string Display(string path)
    {
        try
        {
            string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
            return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
        }
        catch (Exception) { return path; }
    }
}
