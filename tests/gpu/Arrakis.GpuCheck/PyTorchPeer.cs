using System.Diagnostics;
using System.Text.Json;

namespace Arrakis.GpuCheck;

/// <summary>
/// The TransformerLens-style GPT-2 in PyTorch (<c>tests/Arrakis.Benchmarks/Python/tl_style_gpt2.py</c>), driven over
/// stdin/stdout: one command a line, one JSON reply a line.
/// </summary>
internal sealed class PyTorchPeer : IDisposable
{
    private readonly Process _process;

    private PyTorchPeer(Process process, JsonElement info)
    {
        _process = process;
        Info = info;
    }

    public JsonElement Info { get; }

    public int Pid => _process.Id;

    public static PyTorchPeer Start(string python, string script, string device, string dtype)
    {
        var start = new ProcessStartInfo(python, [script, "--device", device, "--dtype", dtype])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python} {script}");
        string? first = process.StandardOutput.ReadLine();
        if (first is null)
        {
            process.WaitForExit();
            throw new InvalidOperationException($"{python} {script} exited ({process.ExitCode}) before saying hello (is torch installed there?)");
        }
        return new PyTorchPeer(process, JsonDocument.Parse(first).RootElement.Clone());
    }

    public JsonElement Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        string line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the PyTorch peer exited during '{command}'");
        var reply = JsonDocument.Parse(line).RootElement.Clone();
        if (reply.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"the PyTorch peer failed '{command}': {error.GetString()}");
        return reply;
    }

    public double Milliseconds(string command) => Send(command).GetProperty("ms").GetDouble();

    public void Dispose()
    {
        try
        {
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Flush();
            if (!_process.WaitForExit(10_000))
                _process.Kill();
        }
        catch (IOException) { }
        _process.Dispose();
    }
}
