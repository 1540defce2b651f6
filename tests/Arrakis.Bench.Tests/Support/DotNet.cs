using System.Diagnostics;
using System.Text;

namespace Arrakis.Bench.Tests.Support;

/// <summary>Runs the dotnet CLI (build, new) for tests that build plugins at test time.</summary>
public static class DotNet
{
    private static readonly string Executable =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>; throws with the output on failure.</summary>
    public static string Run(string workingDirectory, params string[] arguments) => Run(workingDirectory, TimeSpan.FromMinutes(4), arguments);

    public static string Run(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // A child build must not inherit the test runner's MSBuild settings.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.Ordinal)).ToArray())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false";

        var output = new StringBuilder();
        var outputClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data, outputClosed);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data, errorClosed);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // WaitForExit(timeout) returns when the process exits, even if a build server it started keeps the pipes open.
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} took over {timeout}:\n{Text(output)}");
        }
        // The timed WaitForExit does not wait for the last lines to be read (a test once saw the summary line of
        // "dotnet test" missing). Wait for both streams to close; a build server that inherited the pipes keeps them
        // open, so the wait is bounded: everything the process wrote before it exited is read within it.
        Task.WaitAll([outputClosed.Task, errorClosed.Task], StreamDrain);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:\n{Text(output)}");
        return Text(output);
    }

    /// <summary>Builds one project into <paramref name="outputFolder"/> (a plugin folder); offline, quiet.</summary>
    public static string Build(string project, string? outputFolder = null, params string[] extra)
    {
        List<string> arguments = ["build", project, "-nologo", "-v:q", "-clp:ErrorsOnly", "-nodeReuse:false", "-p:RestoreIgnoreFailedSources=true"];
        if (outputFolder is not null) arguments.AddRange(["-o", outputFolder]);
        arguments.AddRange(extra);
        return Run(Path.GetDirectoryName(Path.GetFullPath(project))!, [.. arguments]);
    }

    private static readonly TimeSpan StreamDrain = TimeSpan.FromSeconds(3);

    private static void Append(StringBuilder output, string? line, TaskCompletionSource closed)
    {
        if (line is null) closed.TrySetResult();
        else lock (output) output.AppendLine(line);
    }

    private static string Text(StringBuilder output)
    {
        lock (output) return output.ToString();
    }
}
