using System.Runtime.InteropServices;

namespace Arrakis.Native;

/// <summary>
/// Hands memory that libtorch has freed back to the operating system at the end of each top-level forward pass, on
/// Linux with glibc (<c>malloc_trim(0)</c>; elsewhere nothing happens).
/// </summary>
/// <remarks>
/// libtorch allocates CPU tensors with glibc's malloc. Once large blocks have been freed, glibc raises its mmap
/// threshold (up to 32 MB), so later multi-megabyte activations come from its heaps, whose freed space it rarely
/// returns: over 100 GPT-2-small forwards (4 × 256 tokens, tensors all disposed) the process grew 13 % without this.
/// <c>malloc_trim(0)</c> releases every whole free page of every arena (glibc 2.8 and later), so the process stays at
/// the forward's working set; the next forward refaults what it reuses. Measured with
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- pytorch</c> (README). No environment variable needed.
/// </remarks>
internal static partial class NativeHeap
{
    private static bool s_unavailable = !OperatingSystem.IsLinux();
    private static long s_lastTrim;

    /// <summary>The least time between two trims: tiny forwards (the zoo's run in about a millisecond) pay nothing.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(100);

    /// <summary><see cref="Trim"/>, unless the last trim was less than <see cref="MinimumInterval"/> ago.</summary>
    public static void TrimIfDue()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref s_lastTrim);
        if (System.Diagnostics.Stopwatch.GetElapsedTime(last, now) < MinimumInterval || Interlocked.CompareExchange(ref s_lastTrim, now, last) != last)
            return;
        Trim();
    }

    /// <summary>Returns freed heap pages to the system (glibc); a no-op where <c>malloc_trim</c> does not exist (musl, macOS, Windows).</summary>
    public static void Trim()
    {
        if (s_unavailable)
            return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_unavailable = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int malloc_trim(nuint pad);
}
