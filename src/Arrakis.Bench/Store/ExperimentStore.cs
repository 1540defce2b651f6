using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Arrakis.Bench;

/// <summary>
/// The versioned, append-only experiment store (Arrakis overwrote one JSON file per experiment on every run).
/// </summary>
/// <remarks>
/// Layout under <see cref="SaveDir"/>:
/// <code>
/// {experiment}/runs.jsonl              one ExperimentRecord per line, only ever appended
/// {experiment}/versions/{hash}.cs      the source of each code version, written once
/// {experiment}/tensors/{runId}-{n}.safetensors  large tensors of a run (see ExperimentJson)
/// {experiment}/.lock                   locked while a record is appended (exclusively) or the runs are read (shared)
/// </code>
/// Appends are serialised by an exclusive lock on <c>.lock</c> — an OS record lock, so two processes are safe, plus
/// an in-process gate (see <see cref="StoreLock"/>) — and each record is one write of one line, flushed to disk;
/// readers take the lock shared, so they never see half a record. Version sources and sidecars are written to a
/// temporary file and moved into place without overwriting. A line that does not parse (say, a process killed
/// mid-write) is skipped with a warning naming the file and line; the other records stay readable.
/// </remarks>
public sealed class ExperimentStore
{
    private const string RunsFile = "runs.jsonl";
    private const string VersionsFolder = "versions";
    private const string LockFile = ".lock";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly Action<string> _warn;
    private readonly ConcurrentDictionary<string, bool> _writable = new(StringComparer.Ordinal);

    /// <summary>A store under <paramref name="saveDir"/> (created on first write).</summary>
    /// <param name="saveDir">The save directory, relative to the working directory or absolute.</param>
    /// <param name="warn">Receives warnings (corrupted records); default: standard error.</param>
    public ExperimentStore(string saveDir, Action<string>? warn = null)
    {
        SaveDir = Path.GetFullPath(saveDir);
        _warn = warn ?? (message => Console.Error.WriteLine($"arrakis: warning: {message}"));
    }

    /// <summary>The save directory (absolute).</summary>
    public string SaveDir { get; }

    /// <summary>The folder of <paramref name="experiment"/>'s records.</summary>
    public string ExperimentDirectory(string experiment)
    {
        if (string.IsNullOrWhiteSpace(experiment) || experiment is "." or ".." || experiment.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            throw new ArgumentException($"'{experiment}' is not a valid experiment name.", nameof(experiment));
        }
        return Path.Combine(SaveDir, experiment);
    }

    /// <summary>
    /// Creates <paramref name="experiment"/>'s folder and checks that every file an append writes can be written: a new
    /// file in the folder, and <c>runs.jsonl</c> and <c>.lock</c> when they exist. Called before an experiment runs, so
    /// an unwritable store fails fast instead of losing the record after the work.
    /// </summary>
    /// <exception cref="ExperimentStoreException">The folder cannot be created or written, or <c>runs.jsonl</c> or
    /// <c>.lock</c> cannot be opened for writing.</exception>
    public void EnsureWritable(string experiment)
    {
        string dir = ExperimentDirectory(experiment);
        string current = dir;
        try
        {
            if (!_writable.ContainsKey(dir))
            {
                Directory.CreateDirectory(dir);
                current = Path.Combine(dir, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
                File.WriteAllBytes(current, []);
                File.Delete(current);
                _writable[dir] = true;
            }
            // The files themselves, every time (their mode can change between runs): opened for writing, not written.
            foreach (string name in new[] { RunsFile, LockFile })
            {
                current = Path.Combine(dir, name);
                if (File.Exists(current)) new FileStream(current, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ExperimentStoreException(
                $"The experiment store is not writable: '{current}' cannot be written ({ex.Message}). " +
                "Make it writable or pass another saveDir to the bench; nothing was run.", ex);
        }
    }

    /// <summary>Appends <paramref name="record"/> (and, the first time, the source of its code version).</summary>
    public void Append(ExperimentInfo info, ExperimentRecord record)
    {
        EnsureWritable(info.Name);
        string dir = ExperimentDirectory(info.Name);
        string versions = Path.Combine(dir, VersionsFolder);
        Directory.CreateDirectory(versions);
        AtomicFile.WriteNew(Path.Combine(versions, info.CodeVersion + ".cs"), Encoding.UTF8.GetBytes(info.Source));

        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, ExperimentJson.RecordOptions) + "\n");
        using StoreLock gate = AcquireLock(dir);
        using var runs = new FileStream(Path.Combine(dir, RunsFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        if (runs.Length > 0)
        {
            // A writer killed mid-line leaves no newline; start on a fresh line so only that record is lost.
            runs.Seek(-1, SeekOrigin.End);
            if (runs.ReadByte() != '\n') runs.WriteByte((byte)'\n');
        }
        runs.Seek(0, SeekOrigin.End);
        runs.Write(line);
        runs.Flush(flushToDisk: true);
    }

    /// <summary>Every readable run of <paramref name="experiment"/>, oldest first; corrupted lines are skipped with a warning.</summary>
    public IReadOnlyList<ExperimentRecord> ReadRuns(string experiment)
    {
        ExperimentRuns runs = Read(experiment);
        foreach (DamagedRecord damaged in runs.Damaged) _warn($"{damaged.Path}:{damaged.Line}: skipped a corrupted experiment record ({damaged.Reason})");
        return runs.Records;
    }

    /// <summary>
    /// Reads <paramref name="experiment"/>'s <c>runs.jsonl</c> once: the readable records and every damaged line (no
    /// warnings: the caller decides, e.g. <c>arrakis experiments verify</c> fails on any).
    /// </summary>
    public ExperimentRuns Read(string experiment)
    {
        string path = Path.Combine(ExperimentDirectory(experiment), RunsFile);
        if (!File.Exists(path)) return new ExperimentRuns(experiment, [], []);
        var records = new List<ExperimentRecord>();
        var damaged = new List<DamagedRecord>();
        // A shared lock, when the store has a lock file this process may open: no record is read while it is being written.
        using StoreLock? gate = StoreLock.Acquire(Path.Combine(ExperimentDirectory(experiment), LockFile), exclusive: false, LockTimeout);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        int number = 0;
        while (reader.ReadLine() is string line)
        {
            number++;
            if (line.Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<ExperimentRecord>(line, ExperimentJson.RecordOptions)
                    ?? throw new JsonException("the line holds null"));
            }
            catch (JsonException ex)
            {
                damaged.Add(new DamagedRecord(path, number, ex.Message));
            }
        }
        return new ExperimentRuns(experiment, records, damaged);
    }

    /// <summary>The code versions of <paramref name="experiment"/> that have runs, in order of their first run.</summary>
    public IReadOnlyList<ExperimentVersionSummary> ListVersions(string experiment) =>
        new ExperimentRuns(experiment, ReadRuns(experiment), []).Versions;

    /// <summary>The source and runs of one code version, or null when the store knows nothing of it.</summary>
    public ExperimentVersion? GetVersion(string experiment, string codeVersion) =>
        GetVersion(new ExperimentRuns(experiment, ReadRuns(experiment), []), codeVersion);

    /// <summary>One code version's source and its runs among <paramref name="runs"/> (read once by <see cref="Read"/>), or null.</summary>
    public ExperimentVersion? GetVersion(ExperimentRuns runs, string codeVersion)
    {
        ArgumentNullException.ThrowIfNull(runs);
        string? source = ReadSource(runs.Experiment, codeVersion);
        IReadOnlyList<ExperimentRecord> ofVersion = runs.OfVersion(codeVersion);
        return source is null && ofVersion.Count == 0 ? null : new ExperimentVersion(runs.Experiment, codeVersion, source, ofVersion);
    }

    /// <summary>A unified line diff of two code versions' source (see <see cref="SourceDiff.Unified"/>).</summary>
    /// <exception cref="KeyNotFoundException">The store has no source for one of the versions.</exception>
    public string DiffSource(string experiment, string fromVersion, string toVersion)
    {
        string from = ReadSource(experiment, fromVersion) ?? throw new KeyNotFoundException($"No source for {experiment}@{fromVersion} in {SaveDir}.");
        string to = ReadSource(experiment, toVersion) ?? throw new KeyNotFoundException($"No source for {experiment}@{toVersion} in {SaveDir}.");
        return SourceDiff.Unified(from, to, $"{experiment}@{fromVersion}", $"{experiment}@{toVersion}");
    }

    /// <summary>The sidecar writer of one run.</summary>
    internal TensorSidecars Sidecars(string experiment, string runId) => new(ExperimentDirectory(experiment), runId);

    private string? ReadSource(string experiment, string codeVersion)
    {
        if (codeVersion.IndexOfAny(['/', '\\', '.']) >= 0) return null;
        string path = Path.Combine(ExperimentDirectory(experiment), VersionsFolder, codeVersion + ".cs");
        return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : null;
    }

    /// <summary>Takes the experiment's exclusive append lock (see <see cref="StoreLock"/>).</summary>
    private static StoreLock AcquireLock(string dir) => StoreLock.Acquire(Path.Combine(dir, LockFile), exclusive: true, LockTimeout)!;
}
