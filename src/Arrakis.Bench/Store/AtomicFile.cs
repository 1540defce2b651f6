namespace Arrakis.Bench;

/// <summary>Writes files so that a reader (or a second process) never sees half of one.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="content"/> to a temporary file beside <paramref name="path"/>, flushes it to disk and
    /// moves it into place without overwriting. Returns false (and leaves the existing file) when
    /// <paramref name="path"/> already exists: callers only use it for content-addressed or unique names.
    /// </summary>
    public static bool WriteNew(string path, ReadOnlySpan<byte> content)
    {
        if (File.Exists(path)) return false;
        string temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false; // another writer got there first with the same content-addressed name
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
