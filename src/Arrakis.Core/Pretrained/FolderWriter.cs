namespace Arrakis.Pretrained;

/// <summary>
/// Writes a whole folder or nothing: the content goes into a hidden temporary sibling folder, which is renamed to the
/// target only when complete. An existing target (allowed only when overwriting) is first renamed aside and removed
/// after the swap, so at every moment the target path holds either the old folder or the complete new one (or, for the
/// instant between the two renames, nothing).
/// </summary>
internal static class FolderWriter
{
    public static void Write(string folder, bool overwrite, Action<string> fill)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        string? parent = Path.GetDirectoryName(target);
        if (parent is null)
            throw new ArgumentException($"'{folder}' is a file-system root; give a folder inside one.", nameof(folder));
        if (File.Exists(target))
            throw new IOException($"{target} is a file; a model is saved as a folder.");
        Directory.CreateDirectory(parent);
        bool exists = Directory.Exists(target);
        if (exists && !overwrite && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target} already exists and is not empty; set SavePretrainedOptions.Overwrite to replace it.");

        string name = Path.GetFileName(target);
        string temp = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
            if (!exists)
            {
                Directory.Move(temp, target);
                return;
            }
            string old = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.old");
            Directory.Move(target, old);
            try
            {
                Directory.Move(temp, target);
            }
            catch
            {
                Directory.Move(old, target);
                throw;
            }
            TryDelete(old);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
