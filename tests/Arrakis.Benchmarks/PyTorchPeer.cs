using System.Diagnostics;
using System.Text.Json;

namespace Arrakis.Benchmarks;

/// <summary>
/// The TransformerLens-style GPT-2 in PyTorch eager (<c>Python/tl_style_gpt2.py</c>) as a child process, driven one
/// command at a time over stdin/stdout, so its operations can be interleaved with this process's own. Each reply carries
/// the time the peer measured itself (pipe latency excluded).
/// </summary>
/// <remarks>
/// The interpreter is <c>/usr/bin/python3</c> (Debian's <c>python3-torch</c>), or <c>--python PATH</c>. Debian's torch
/// links the reference BLAS through <c>libblas.so.3</c>; for a fair comparison the child's <c>LD_LIBRARY_PATH</c> puts
/// OpenBLAS's <c>libblas.so.3</c> (<c>libopenblas0-pthread</c>: /usr/lib/x86_64-linux-gnu/openblas-pthread) first, for
/// this child only — nothing on the system is switched.
/// </remarks>
internal sealed class PyTorchPeer : IDisposable
{
    public const string OpenBlasFolder = "/usr/lib/x86_64-linux-gnu/openblas-pthread";

    private readonly Process _process;

    public PyTorchPeer(string python, int threads, string device = "cpu", string dtype = "float32")
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Python", "tl_style_gpt2.py");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { script, "--threads", threads.ToString(), "--device", device, "--dtype", dtype })
            start.ArgumentList.Add(arg);
        if (Directory.Exists(OpenBlasFolder))
        {
            string? existing = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            start.Environment["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(existing) ? OpenBlasFolder : OpenBlasFolder + ":" + existing;
            UsesOpenBlas = true;
        }
        start.Environment["OMP_NUM_THREADS"] = threads.ToString();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        Info = ReadReply();
    }

    /// <summary>The peer's first line: torch version, threads, BLAS lines of its build configuration.</summary>
    public JsonElement Info { get; }

    /// <summary>Whether OpenBLAS was put in front of the reference BLAS for the child.</summary>
    public bool UsesOpenBlas { get; }

    /// <summary>Sends one command and returns its JSON reply; a reply with "error" throws.</summary>
    public JsonElement Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        var reply = ReadReply();
        if (reply.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"PyTorch peer: '{command}' failed: {error.GetString()}");
        return reply;
    }

    /// <summary>Runs a timed command and returns the milliseconds the peer measured.</summary>
    public double Time(string command) => Send(command).GetProperty("ms").GetDouble();

    private JsonElement ReadReply()
    {
        string? line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit(5000);
            throw new InvalidOperationException($"the PyTorch peer exited (code {(_process.HasExited ? _process.ExitCode : -1)}); run it by hand to see why");
        }
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("quit");
                if (!_process.WaitForExit(10_000))
                    _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
