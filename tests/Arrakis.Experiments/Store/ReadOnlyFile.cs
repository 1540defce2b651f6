using System.Diagnostics;

namespace Arrakis.Experiments.Store;

/// <summary>
/// Makes a file unwritable for this process until disposed: mode 0444, and for a privileged process (root ignores
/// file modes) also the immutable attribute (<c>chattr +i</c>), which binds root too.
/// </summary>
internal sealed class ReadOnlyFile : IDisposable
{
    private readonly string _path;
    private readonly UnixFileMode _mode;
    private readonly bool _immutable;

    private ReadOnlyFile(string path)
    {
        _path = path;
        _mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (Environment.IsPrivilegedProcess)
        {
            Chattr("+i");
            _immutable = true;
        }
    }

    public static ReadOnlyFile Make(string path) => new(path);

    public void Dispose()
    {
        if (_immutable) Chattr("-i");
        File.SetUnixFileMode(_path, _mode);
    }

    private void Chattr(string flag)
    {
        var info = new ProcessStartInfo("chattr") { ArgumentList = { flag, _path }, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"chattr {flag} {_path} failed ({error.Trim()}); this test needs a non-root user or a file system with immutable files");
    }
}
