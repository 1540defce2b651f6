using System.Diagnostics;

namespace Arrakis.Scripting;

/// <summary>
/// Frees the native memory of tensors a running script can no longer reach. A tensor's data lives in native memory the
/// .NET garbage collector does not see, so a loop that drops results without disposing them (a forgotten
/// <c>using</c> on <c>RunWithCache</c>'s cache) can grow by gigabytes while the managed heap stays small and no
/// collection runs. While a script or REPL submission runs, this guard samples the process's resident memory every
/// <see cref="SampleInterval"/>; when it has grown by <see cref="ScriptHostOptions.CollectAfterGrowth"/> since the last
/// collection, it runs a full collection and the finalizers, which dispose exactly the tensors nothing references any
/// more (the collector proves them unreachable). Tensors the script still holds are never touched.
/// </summary>
/// <remarks>
/// What it cannot free: tensors the script keeps (in a list, a field, a REPL variable), and memory glibc's allocator
/// keeps after the tensors are freed (see docs/hooked-transformer.md on <c>MALLOC_MMAP_THRESHOLD_</c>).
/// </remarks>
internal sealed class NativeMemoryGuard : IDisposable
{
    /// <summary>How often resident memory is sampled.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    private static int _collections;

    private readonly long _growth;
    private readonly Timer? _timer;
    private readonly Lock _gate = new();
    private long _baseline;
    private bool _disposed;

    /// <summary>Starts guarding; <paramref name="growth"/> of 0 or less turns the guard off.</summary>
    public NativeMemoryGuard(long growth)
    {
        _growth = growth;
        if (growth <= 0) return;
        _baseline = ResidentBytes();
        _timer = new Timer(_ => Sample(), null, SampleInterval, SampleInterval);
    }

    /// <summary>How many collections guards have run in this process.</summary>
    public static int Collections => Volatile.Read(ref _collections);

    /// <summary>The process's resident memory (bytes).</summary>
    public static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private void Sample()
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (ResidentBytes() - _baseline < _growth) return;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers(); // the unreachable tensors' finalizers free their native memory
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
            Interlocked.Increment(ref _collections);
            _baseline = ResidentBytes();
        }
    }

    /// <summary>Stops guarding.</summary>
    public void Dispose()
    {
        lock (_gate) _disposed = true;
        _timer?.Dispose();
    }
}
