namespace Arrakis.Checkpoints;

/// <summary>
/// Thrown when a checkpoint file (a <c>.safetensors</c> file, a <c>model.safetensors.index.json</c> or a
/// <c>config.json</c>) is malformed or inconsistent. It is the only exception type a hostile or corrupt file can cause
/// from <see cref="SafetensorsFile"/> and <see cref="CheckpointFolder"/>; I/O failures (a missing file, no permission)
/// stay <see cref="IOException"/>s. The message names the file, the tensor when there is one, and the reason.
/// </summary>
public class CheckpointFormatException : Exception
{
    /// <summary>Creates the exception; the message is built from the three parts.</summary>
    public CheckpointFormatException(string filePath, string? tensorName, string reason, Exception? inner = null)
        : base(Compose(filePath, tensorName, reason), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Reason = reason;
    }

    /// <summary>The file that is malformed.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem is about, or null when it concerns the file as a whole.</summary>
    public string? TensorName { get; }

    /// <summary>What is wrong, without the file and tensor names.</summary>
    public string Reason { get; }

    private static string Compose(string filePath, string? tensorName, string reason) =>
        tensorName is null ? $"{filePath}: {reason}" : $"{filePath}: tensor '{Shorten(tensorName)}': {reason}";

    /// <summary>Text from a file quoted in a message: at most <paramref name="max"/> characters, control characters escaped.</summary>
    internal static string Shorten(string text, int max = 200)
    {
        var shown = text.Length > max ? text[..max] : text;
        var sb = new System.Text.StringBuilder(shown.Length + 8);
        foreach (char c in shown)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        if (text.Length > max)
            sb.Append($"… ({text.Length} characters)");
        return sb.ToString();
    }
}
