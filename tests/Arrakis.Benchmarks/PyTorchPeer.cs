using System.Diagnostics;
using System.Text.Json;

namespace Arrakis.Benchmarks;

/// <summary>
/// The TransformerLens-style GPT-2 in PyTorch eager (<c>Python/tl_style_gpt2.py</c>) as a child process, driven one
/// command at a time over stdin/stdout, so its operations can be interleaved with this process's own. Each reply carries
/// the time the peer measured itself (pipe latency excluded). Used by <see cref="ForwardVersusPyTorchProbe"/> (CPU) and
/// compiled into tests/gpu/Arrakis.GpuCheck (the device check).
/// </summary>
/// <remarks>
/// Debian's <c>python3-torch</c> links the reference BLAS through <c>libblas.so.3</c>; for a fair comparison the child's
/// <c>LD_LIBRARY_PATH</c> puts OpenBLAS's <c>libblas.so.3</c> (<c>libopenblas0-pthread</c>: <see cref="OpenBlasFolder"/>)
/// first when that folder exists, for this child only — nothing on the system is switched. A pip-installed torch (its own
/// BLAS built in) is unaffected.
/// </remarks>
internal sealed class PyTorchPeer : IDisposable
{
    public const string OpenBlasFolder = "/usr/lib/x86_64-linux-gnu/openblas-pthread";

    /// <summary>The peer script beside this assembly (the benchmarks copy it to their output folder).</summary>
    public static string BesideThisAssembly => Path.Combine(AppContext.BaseDirectory, "Python", "tl_style_gpt2.py");

    private readonly Process _process;

    /// <summary>Starts <paramref name="script"/> under <paramref name="python"/> and reads its first line (<see cref="Info"/>).</summary>
    /// <param name="threads">libtorch threads of the peer; 0 leaves torch's default.</param>
    public PyTorchPeer(string python, string script, string device = "cpu", string dtype = "float32", int threads = 0)
    {
        var start = new ProcessStartInfo(python, [script, "--threads", threads.ToString(), "--device", device, "--dtype", dtype])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Directory.Exists(OpenBlasFolder))
        {
            string? existing = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            start.Environment["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(existing) ? OpenBlasFolder : OpenBlasFolder + ":" + existing;
            UsesOpenBlas = true;
        }
        if (threads > 0)
            start.Environment["OMP_NUM_THREADS"] = threads.ToString();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python} {script}");
        Info = ReadReply($"start (is torch installed for {python}?)");
    }

    /// <summary>The peer's first line: torch version, threads, device, BLAS of its build configuration.</summary>
    public JsonElement Info { get; }

    /// <summary>Whether OpenBLAS was put in front of the reference BLAS for the child.</summary>
    public bool UsesOpenBlas { get; }

    /// <summary>The child's process id (per-process GPU memory).</summary>
    public int Pid => _process.Id;

    /// <summary>Sends one command and returns its JSON reply; a reply with "error" throws.</summary>
    public JsonElement Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        var reply = ReadReply($"'{command}'");
        if (reply.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"PyTorch peer: '{command}' failed: {error.GetString()}");
        return reply;
    }

    /// <summary>Runs a timed command and returns the milliseconds the peer measured.</summary>
    public double Time(string command) => Send(command).GetProperty("ms").GetDouble();

    private JsonElement ReadReply(string during)
    {
        string? line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit(5000);
            throw new InvalidOperationException(
                $"the PyTorch peer exited during {during} (code {(_process.HasExited ? _process.ExitCode : -1)}); run it by hand to see why");
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
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(10_000))
                    _process.Kill();
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }
        _process.Dispose();
    }
}
