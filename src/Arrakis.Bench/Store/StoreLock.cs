using System.Collections.Concurrent;
using System.Runtime.Versioning;

namespace Arrakis.Bench;

/// <summary>
/// The lock on an experiment's <c>.lock</c> file: exclusive for appending a record, shared for reading the runs; held
/// against other processes and other threads of this one, released on <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Across processes it is an OS byte-range lock on the file's first byte (<see cref="FileStream.Lock"/>:
/// <c>fcntl(F_SETLK)</c> on Linux, <c>LockFileEx</c> on Windows), write-locked by appenders and read-locked by readers.
/// It does not depend on .NET's emulation of <see cref="FileShare.None"/> on Unix (an advisory <c>flock</c>), which
/// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> switches off for a whole process. On macOS, where .NET has no byte-range
/// locks, the file is opened with <see cref="FileShare.None"/> (that <c>flock</c>) instead.</para>
/// <para>POSIX record locks belong to a process, not to a handle: two handles of one process do not exclude each other, and
/// closing either releases both. So within a process, one gate per lock file (a semaphore) is taken first and held until
/// the OS lock is released; readers of one process take turns like writers.</para>
/// </remarks>
internal sealed class StoreLock : IDisposable
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _gate;
    private readonly FileStream? _file;
    private readonly bool _locked;

    private StoreLock(SemaphoreSlim gate, FileStream? file, bool locked)
    {
        _gate = gate;
        _file = file;
        _locked = locked;
    }

    /// <summary>Whether this platform has byte-range locks in .NET (all but Apple's).</summary>
    [UnsupportedOSPlatformGuard("macos")]
    [UnsupportedOSPlatformGuard("maccatalyst")]
    [UnsupportedOSPlatformGuard("ios")]
    [UnsupportedOSPlatformGuard("tvos")]
    private static bool RegionLocks => !(OperatingSystem.IsMacOS() || OperatingSystem.IsMacCatalyst() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS());

    /// <summary>
    /// Takes the lock on <paramref name="path"/>, waiting (polling) up to <paramref name="timeout"/>. An exclusive lock
    /// creates the file; a shared lock returns null, unlocked, when the file does not exist or cannot be opened (a store
    /// nobody has written to, or a read-only copy of one: nothing can be appending to it).
    /// </summary>
    /// <exception cref="ExperimentStoreException">The lock was not obtained within <paramref name="timeout"/>.</exception>
    public static StoreLock? Acquire(string path, bool exclusive, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        SemaphoreSlim gate = Gates.GetOrAdd(Path.GetFullPath(path), _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(timeout)) throw Timeout(path, timeout);
        FileStream? file = null;
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    file ??= exclusive
                        ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, RegionLocks ? FileShare.ReadWrite | FileShare.Delete : FileShare.None)
                        : new FileStream(path, FileMode.Open, FileAccess.Read, RegionLocks ? FileShare.ReadWrite | FileShare.Delete : FileShare.Read);
                    if (RegionLocks) file.Lock(0, 1); // write lock on a writable stream, read lock on a read-only one
                    return new StoreLock(gate, file, locked: RegionLocks);
                }
                catch (Exception ex) when (!exclusive && file is null && ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
                {
                    gate.Release();
                    return null;
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    // Held by another process (FileStream.Lock, or the open itself under FileShare.None): poll.
                    if (!RegionLocks)
                    {
                        file?.Dispose();
                        file = null;
                    }
                    Thread.Sleep(Math.Min(20, 1 + attempt));
                }
                catch (IOException ex)
                {
                    throw new ExperimentStoreException($"{Timeout(path, timeout).Message} ({ex.Message})", ex);
                }
            }
        }
        catch
        {
            file?.Dispose();
            gate.Release();
            throw;
        }
    }

    /// <summary>Releases the OS lock, closes the file and opens the gate for this process's next writer or reader.</summary>
    public void Dispose()
    {
        try
        {
            if (_locked && RegionLocks) _file!.Unlock(0, 1);
        }
        finally
        {
            _file?.Dispose();
            _gate.Release();
        }
    }

    private static ExperimentStoreException Timeout(string path, TimeSpan timeout) =>
        new($"The experiment store lock '{path}' was not obtained within {timeout.TotalSeconds:0} s: another process holds it.");
}
