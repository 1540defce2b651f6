namespace Arrakis.Benchmarks;

/// <summary>This process's resident memory from /proc/self/status (Linux), and its peak reset through /proc/self/clear_refs.</summary>
internal static class ProcessMemory
{
    /// <summary>(VmRSS, VmHWM) in bytes.</summary>
    public static (long Rss, long Peak) Read()
    {
        var status = File.ReadAllLines("/proc/self/status");
        return (Bytes(status, "VmRSS:"), Bytes(status, "VmHWM:"));
    }

    /// <summary>One field of /proc/self/status (e.g. <c>RssAnon:</c>) in bytes.</summary>
    public static long Bytes(string[] status, string field) =>
        long.Parse(status.First(l => l.StartsWith(field, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    /// <summary>Resets VmHWM to the current RSS ("5" to clear_refs, Linux 4.0 and later) and returns that RSS.</summary>
    public static long ResetPeak()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Read().Rss;
    }

    /// <summary>RssAnon and RssFile as text.</summary>
    public static string Kinds()
    {
        var status = File.ReadAllLines("/proc/self/status");
        return $"anonymous {Bytes(status, "RssAnon:") / 1048576.0:F0} MiB, file-backed {Bytes(status, "RssFile:") / 1048576.0:F0} MiB";
    }
}
