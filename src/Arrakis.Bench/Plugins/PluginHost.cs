using System.Runtime.Loader;
using Arrakis.Bench.Tools;

namespace Arrakis.Bench.Plugins;

/// <summary>
/// Finds tool plugins in the configured folders, loads them with McMaster.NETCore.Plugins into collectible load
/// contexts, feeds their tools to a <see cref="ToolRegistry"/>, and hot-reloads a plugin when a new build of it
/// appears.
/// </summary>
/// <remarks>
/// <para><b>Fault isolation.</b> Every plugin loads on its own; one that fails (see <see cref="PluginFailureKind"/>)
/// is reported in <see cref="Report"/> with its reason and the others load regardless. Nothing is thrown for a bad
/// plugin or a missing folder.</para>
/// <para><b>Shared types.</b> Arrakis.Abstractions, the plugins' contract assemblies and
/// <see cref="PluginHostOptions.SharedAssemblies"/> come from the host's default load context, so experiment code
/// compiled against a contract stays type-checked across reloads; everything else a plugin references loads from
/// its own folder through its deps.json.</para>
/// <para><b>Hot reload.</b> When a plugin's files change and then stay quiet for
/// <see cref="PluginHostOptions.ReloadDelay"/>, the new build is validated (a half-written assembly is retried for
/// <see cref="PluginHostOptions.ReloadRetryWindow"/>) and loaded into a new context beside the old one; the
/// registry swaps to it in one step and raises <see cref="ToolRegistry.Reloaded"/>; the old context is then
/// unloaded and is collected once the calls still running on it return. A build that fails to load, or a deleted
/// assembly, leaves the previous build serving and is reported.</para>
/// <para>Tools should return contract or primitive types and leave serialisation to the host: plugin code that
/// reflection-serialises its own types (System.Text.Json, Newtonsoft, <c>TypeDescriptor</c>) pins its load context
/// in those libraries' caches and the old build never unloads.</para>
/// </remarks>
/// <example><code>
/// using var host = new PluginHost(PluginHostOptions.Resolve(commandLineFolders: ["./my-plugins"]));
/// var report = host.Load();
/// Console.WriteLine(report);
/// var counts = host.Registry.Get&lt;IWordCount&gt;("wordcount").Count("a b a", top: 1);
/// </code></example>
public sealed class PluginHost : IDisposable
{
    private readonly object _gate = new();
    private readonly List<PluginSlot> _slots = [];
    private readonly List<FolderState> _folders = [];
    private bool _loaded;
    private bool _disposed;

    /// <summary>A host over <paramref name="options"/>, feeding <paramref name="registry"/> (a new one by default).</summary>
    public PluginHost(PluginHostOptions options, ToolRegistry? registry = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Registry = registry ?? new ToolRegistry();
        Registry.FailedPlugins = () => Report.Failed.ToList();
    }

    /// <summary>The options the host was created with.</summary>
    public PluginHostOptions Options { get; }

    /// <summary>The registry the plugins' tools are published to.</summary>
    public ToolRegistry Registry { get; }

    /// <summary>Raised after a plugin's state changed: loaded, reloaded, failed to reload, assembly deleted.</summary>
    public event EventHandler<PluginReport>? PluginChanged;

    /// <summary>The current state of every configured folder and plugin.</summary>
    public PluginLoadReport Report
    {
        get
        {
            lock (_gate)
            {
                return new PluginLoadReport(
                    _folders.Select(f => f.Report).ToArray(),
                    _folders.SelectMany(f => f.Loose).Concat(_slots.Select(s => s.Report)).ToArray());
            }
        }
    }

    /// <summary>Scans the configured folders and loads every plugin found; call once.</summary>
    /// <returns>The load report.</returns>
    public PluginLoadReport Load()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loaded) throw new InvalidOperationException("Load() was already called; the host reloads plugins by itself.");
            _loaded = true;
            foreach (var folder in Options.Folders)
            {
                var state = new FolderState(folder);
                _folders.Add(state);
                Scan(state);
                if (Options.HotReload && state.Report.Status == PluginFolderStatus.Scanned) Watch(state);
            }
        }
        return Report;
    }

    /// <summary>Scans the folders again and loads plugin folders that appeared since (existing ones reload by themselves).</summary>
    public PluginLoadReport Rescan()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var state in _folders) Scan(state);
        }
        return Report;
    }

    /// <summary>
    /// Constructs every loaded tool now, in parallel, each waited for at most
    /// <see cref="PluginHostOptions.ToolConstructionTimeout"/> (tools are otherwise constructed on first use), and
    /// returns the report with every constructor's outcome: what <c>arrakis tools</c> shows.
    /// </summary>
    public PluginLoadReport ConstructTools()
    {
        PluginSlot[] slots;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            slots = [.. _slots];
        }
        Parallel.ForEach(slots, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, slots.Length) }, slot => slot.ConstructTools());
        return Report;
    }

    /// <summary>The load context currently serving the plugin in <paramref name="folderName"/> (for diagnostics and tests).</summary>
    internal AssemblyLoadContext? LoadContextOf(string folderName)
    {
        lock (_gate) return _slots.FirstOrDefault(s => s.Name == folderName)?.LoadContext;
    }

    /// <param name="state">The folder.</param>
    /// <param name="deferLoad">Load new plugin folders after the reload delay rather than now (the watcher saw them
    /// appear; their files may still be arriving).</param>
    private void Scan(FolderState state, bool deferLoad = false)
    {
        var path = state.Folder.Path;
        if (File.Exists(path))
        {
            state.Report = new PluginFolderReport(path, state.Folder.Source, PluginFolderStatus.Unreadable, "not a directory");
            return;
        }
        if (!Directory.Exists(path))
        {
            state.Report = new PluginFolderReport(path, state.Folder.Source, PluginFolderStatus.Missing,
                state.Folder.Source == PluginFolderSource.BuiltIn ? "no built-in plugins are deployed" : "the folder does not exist");
            return;
        }

        string[] folders, loose;
        try
        {
            state.RealPath ??= PluginPaths.RealPath(path);
            folders = Directory.GetDirectories(path).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
            loose = Directory.GetFiles(path, "*.dll").Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            state.Report = new PluginFolderReport(path, state.Folder.Source, PluginFolderStatus.Unreadable, e.Message);
            return;
        }
        state.Report = new PluginFolderReport(path, state.Folder.Source, PluginFolderStatus.Scanned, null);
        state.Loose = loose.Select(file => new PluginReport(
            Path.GetFileNameWithoutExtension(file), path, file, state.Folder.Source, PluginStatus.Failed, null, [],
            PluginFailureKind.NotAPlugin,
            $"a loose assembly; a plugin is a folder: '{Path.Combine(path, Path.GetFileNameWithoutExtension(file), Path.GetFileName(file))}'",
            [])).ToArray();

        foreach (var folder in folders)
        {
            if (_slots.Any(s => s.Folder == folder)) continue;
            var slot = new PluginSlot(this, folder, state.RealPath, state.Folder.Source);
            _slots.Add(slot);
            if (deferLoad) slot.OnFileChanged();
            else slot.Load();
        }
    }

    private void Watch(FolderState state)
    {
        try
        {
            var watcher = new FileSystemWatcher(state.Folder.Path)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            FileSystemEventHandler onChange = (_, e) => OnFileEvent(state, e.FullPath);
            watcher.Changed += onChange;
            watcher.Created += onChange;
            watcher.Deleted += onChange;
            watcher.Renamed += (_, e) => { OnFileEvent(state, e.OldFullPath); OnFileEvent(state, e.FullPath); };
            // Events were lost (buffer overflow): look at everything; unchanged builds are not reloaded.
            watcher.Error += (_, _) => OnEventsLost(state);
            watcher.EnableRaisingEvents = true;
            state.Watcher = watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            state.Report = state.Report with { Message = $"not watched for new builds: {e.Message}" };
        }
    }

    private void OnFileEvent(FolderState state, string path)
    {
        var relative = Path.GetRelativePath(state.Folder.Path, path);
        var first = relative.Split(Path.DirectorySeparatorChar)[0];
        if (first is "." or ".." || first.StartsWith('.')) return;
        var folder = Path.Combine(state.Folder.Path, first);
        PluginSlot? slot;
        lock (_gate)
        {
            if (_disposed) return;
            slot = _slots.FirstOrDefault(s => s.Folder == folder);
            if (slot is null)
            {
                Scan(state, deferLoad: true);   // a new plugin folder, or a loose file
                return;
            }
        }
        slot.OnFileChanged();
    }

    private void OnEventsLost(FolderState state)
    {
        PluginSlot[] slots;
        lock (_gate)
        {
            if (_disposed) return;
            Scan(state, deferLoad: true);
            slots = _slots.Where(s => Path.GetDirectoryName(s.Folder) == state.Folder.Path).ToArray();
        }
        foreach (var slot in slots) slot.OnFileChanged();
    }

    internal void OnPluginChanged(PluginReport report) => PluginChanged?.Invoke(this, report);

    /// <summary>Stops watching, withdraws every plugin's tools and unloads the plugins.</summary>
    public void Dispose()
    {
        PluginSlot[] slots;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var state in _folders) state.Watcher?.Dispose();
            slots = [.. _slots];
        }
        foreach (var slot in slots) slot.Dispose();
    }

    private sealed class FolderState(PluginFolder folder)
    {
        public PluginFolder Folder { get; } = folder;
        public string? RealPath { get; set; }
        public PluginFolderReport Report { get; set; } = new(folder.Path, folder.Source, PluginFolderStatus.Missing, null);
        public PluginReport[] Loose { get; set; } = [];
        public FileSystemWatcher? Watcher { get; set; }
    }
}
