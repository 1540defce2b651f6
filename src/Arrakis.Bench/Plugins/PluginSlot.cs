using System.Reflection;
using System.Runtime.Loader;
using Arrakis.Bench.Tools;
using McMaster.NETCore.Plugins;

namespace Arrakis.Bench.Plugins;

/// <summary>
/// One plugin folder: loads its current build through a McMaster <see cref="PluginLoader"/> (unloadable, loaded
/// from memory so the files are never locked), publishes its tools to the registry, and on a change of its files
/// loads the new build beside the old one, swaps the registry, then unloads the old build. A build that cannot be
/// loaded leaves the previous one serving.
/// </summary>
internal sealed class PluginSlot : IDisposable
{
    private readonly PluginHost _host;
    private readonly string _realRoot;
    private readonly object _gate = new();
    private readonly Timer _timer;
    private PluginLoader? _loader;
    private PluginVersion? _version;
    private IReadOnlyList<ToolDescriptor> _tools = [];
    private IReadOnlyList<ToolInstance> _instances = [];
    private string? _fingerprint;
    private int _generation;
    private DateTime _retryUntil;
    private bool _disposed;
    private volatile PluginReport _report;

    public PluginSlot(PluginHost host, string folder, string realRoot, PluginFolderSource source)
    {
        _host = host;
        Folder = folder;
        Name = Path.GetFileName(folder);
        Source = source;
        _realRoot = realRoot;
        _timer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _report = new PluginReport(Name, Folder, null, Source, PluginStatus.Failed, null, [], PluginFailureKind.NotAPlugin, "not loaded yet", []);
    }

    public string Name { get; }
    public string Folder { get; }
    public PluginFolderSource Source { get; }
    public PluginReport Report
    {
        get
        {
            var report = _report;
            var instances = _instances;
            return report.Status == PluginStatus.Failed ? report : report with { ToolsConstructed = instances.All(i => i.IsConstructed) };
        }
    }

    /// <summary>Constructs every tool of the build serving now (each waited for at most the construction timeout).
    /// A failure withdraws the plugin's tools and is reported.</summary>
    public void ConstructTools()
    {
        var instances = _instances;
        Parallel.ForEach(instances, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, instances.Count) }, i => i.TryConstruct());
    }

    /// <summary>The load context serving calls (tests use it to watch the old context unload).</summary>
    internal AssemblyLoadContext? LoadContext => _loader?.LoadContext;

    /// <summary>First load: no retries (a build still being written is picked up by the watcher).</summary>
    public void Load() => Attempt(initial: true);

    /// <summary>A file in the folder changed: reload once the files have been quiet for <see cref="PluginHostOptions.ReloadDelay"/>.</summary>
    public void OnFileChanged()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _retryUntil = DateTime.UtcNow + _host.Options.ReloadDelay + _host.Options.ReloadRetryWindow;
            _timer.Change(_host.Options.ReloadDelay, Timeout.InfiniteTimeSpan);
        }
    }

    private void Reload() => Attempt(initial: false);

    private void Attempt(bool initial)
    {
        PluginReport report;
        ToolReloadedEventArgs? reloaded = null;
        lock (_gate)
        {
            if (_disposed) return;
            var warnings = new List<string>();
            string? assemblyPath = null;
            Failure? failure;
            try
            {
                failure = TryLoad(warnings, ref assemblyPath, out reloaded, constructNow: !initial);
            }
            catch (Exception e)
            {
                failure = Failure.From(e, $"loading '{Name}'");
            }

            if (failure is { } f)
            {
                if (f.Retryable && !initial && DateTime.UtcNow < _retryUntil)
                {
                    _timer.Change(_host.Options.ReloadDelay, Timeout.InfiniteTimeSpan);
                    return;
                }
                var status = _version is null ? PluginStatus.Failed : PluginStatus.ServingPreviousVersion;
                var reason = _version is null ? f.Reason : $"{f.Reason}; still serving {_version}";
                report = new PluginReport(Name, Folder, assemblyPath ?? _report.AssemblyPath, Source, status, _version, _tools, f.Kind, reason, warnings);
            }
            else
            {
                report = new PluginReport(Name, Folder, assemblyPath, Source, PluginStatus.Loaded, _version, _tools, null, null,
                    reloaded is null && _report.Status == PluginStatus.Loaded && warnings.Count == 0 ? _report.Warnings : warnings);
            }
            var changed = report != _report;
            _report = report;
            if (!changed && reloaded is null) return;
        }
        if (reloaded is not null) _host.Registry.OnReloaded(reloaded);
        _host.OnPluginChanged(report);
    }

    /// <summary>Loads the build on disk unless it is the one serving. Returns null on success.</summary>
    /// <param name="constructNow">Construct the tools before publishing them (a reload: a new build whose constructor
    /// fails must leave the previous build serving); otherwise they are constructed on first use.</param>
    private Failure? TryLoad(List<string> warnings, ref string? assemblyPath, out ToolReloadedEventArgs? reloaded, bool constructNow)
    {
        reloaded = null;
        if (!Directory.Exists(Folder))
            return _version is null
                ? new Failure(PluginFailureKind.NotAPlugin, $"plugin folder '{Folder}' does not exist")
                : new Failure(PluginFailureKind.AssemblyDeleted, $"plugin folder '{Folder}' was deleted");

        var realFolder = PluginPaths.RealPath(Folder);
        if (!PluginPaths.IsInside(realFolder, _realRoot))
            return new Failure(PluginFailureKind.UnsafePath, $"plugin folder '{Folder}' resolves to '{realFolder}', outside its plugin folder '{_realRoot}'");

        string main;
        try { main = PluginPaths.MainAssembly(Folder, realFolder); }
        catch (UnsafePathException e) { return new Failure(PluginFailureKind.UnsafePath, e.Message); }
        catch (InvalidDataException e) { return new Failure(PluginFailureKind.NotAPlugin, e.Message, Retryable: true); }
        assemblyPath = main;

        if (!File.Exists(main))
            return _version is null
                ? new Failure(PluginFailureKind.NotAPlugin, $"no plugin assembly: expected '{main}' (or an {PluginHostOptions.ManifestFileName} naming one)")
                : new Failure(PluginFailureKind.AssemblyDeleted, $"plugin assembly '{main}' was deleted");

        byte[] image;
        try { image = File.ReadAllBytes(main); }
        catch (UnauthorizedAccessException e) { return new Failure(PluginFailureKind.Unreadable, $"cannot read '{main}': {e.Message}"); }
        catch (IOException e) { return new Failure(PluginFailureKind.Unreadable, $"cannot read '{main}': {e.Message}", Retryable: true); }

        AssemblyFacts facts;
        try { facts = AssemblyFacts.Read(image); }
        catch (BadImageFormatException e)
        {
            return new Failure(PluginFailureKind.NotAPlugin, $"'{Path.GetFileName(main)}' is not a valid .NET assembly: {e.Message}", Retryable: true);
        }

        var fingerprint = Fingerprint(main, facts);
        if (_loader is not null && fingerprint == _fingerprint) return null;

        var hostApi = ArrakisVersion.PluginApi;
        if (facts.PluginApi is not { } api)
            return new Failure(PluginFailureKind.IncompatibleApi,
                $"{facts.Name} declares no plugin API version; this host provides plugin API {hostApi}. " +
                "Add [assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]");
        if (api.Major != hostApi.Major)
            return new Failure(PluginFailureKind.IncompatibleApi,
                $"{facts.Name} was built for plugin API {api}, but this host provides plugin API {hostApi} (major versions must match); " +
                $"rebuild it against Arrakis.Abstractions {hostApi.Major}.x");
        if (api.Minor > hostApi.Minor)
            warnings.Add($"built for plugin API {api}, newer than this host's {hostApi}: members added after {hostApi} are missing");

        if (facts.ToolContracts.Count > 0)
            return new Failure(PluginFailureKind.InvalidTool,
                $"{facts.Name} declares tool contract(s) {string.Join(", ", facts.ToolContracts)} itself; contracts must live in a " +
                "separate contracts assembly that the host shares (see the plugin template), or experiments could not stay typed across a reload");

        var shared = new List<string> { typeof(ToolAttribute).Assembly.GetName().Name! };
        shared.AddRange(_host.Options.SharedAssemblies);
        var assemblyFolder = Path.GetDirectoryName(main)!;
        foreach (var reference in facts.References)
        {
            var candidate = Path.Combine(assemblyFolder, reference.Name + ".dll");
            if (reference.Name is null || !File.Exists(candidate)) continue;
            byte[] contractImage;
            AssemblyFacts contract;
            try
            {
                contractImage = File.ReadAllBytes(candidate);
                contract = AssemblyFacts.Read(contractImage);
            }
            catch (Exception e) when (e is IOException or BadImageFormatException)
            {
                return new Failure(PluginFailureKind.LoadFailed, $"cannot read '{candidate}': {e.Message}", Retryable: true);
            }
            if (contract.ToolContracts.Count == 0) continue;
            try
            {
                if (SharedContracts.Share(candidate, contractImage, contract) is { } warning) warnings.Add(warning);
            }
            catch (ContractChangedException e) { return new Failure(PluginFailureKind.ContractChanged, e.Message); }
            shared.Add(contract.Name);
        }

        var config = new PluginConfig(main) { IsUnloadable = true, LoadInMemory = true };
        foreach (var name in shared) config.SharedAssemblies.Add(new AssemblyName(name));
        var loader = new PluginLoader(config);
        var keep = false;
        try
        {
            var failure = Instantiate(loader, facts, warnings, out var registrations);
            if (failure is not null) return failure;
            var instances = registrations.Select(r => r.Instance).Distinct().ToArray();
            if (constructNow)
            {
                foreach (var instance in instances)
                    if (instance.TryConstruct() is { } constructionFailure) return Failure.From(constructionFailure);
            }

            var version = new PluginVersion(
                (facts.InformationalVersion ?? facts.Version.ToString()).Split('+')[0],
                facts.Mvid.ToString("N")[..8], _generation + 1);
            var published = registrations.Select(r => r with { Descriptor = r.Descriptor with { Version = version } }).ToArray();
            var conflict = _host.Registry.TryPublish(this, published);
            if (conflict is not null) return new Failure(PluginFailureKind.DuplicateToolName, conflict);
            var tools = published.Select(r => r.Descriptor).ToArray();

            keep = true;
            var (oldLoader, oldVersion) = (_loader, _version);
            (_loader, _version, _tools, _fingerprint, _generation) = (loader, version, tools, fingerprint, version.Generation);
            _instances = instances;
            oldLoader?.Dispose();   // starts unloading; calls still running on the old build finish first
            if (oldVersion is not null)
                reloaded = new ToolReloadedEventArgs(Name, oldVersion, version, tools.Select(t => t.Name).ToArray());
            return null;
        }
        finally
        {
            if (!keep) loader.Dispose();
        }
    }

    /// <summary>Loads the plugin assembly and its references and creates one instance per tool implementation.</summary>
    private Failure? Instantiate(PluginLoader loader, AssemblyFacts facts, List<string> warnings, out List<ToolRegistry.Registration> registrations)
    {
        registrations = [];
        Assembly assembly;
        try { assembly = loader.LoadDefaultAssembly(); }
        catch (BadImageFormatException e) { return new Failure(PluginFailureKind.NotAPlugin, $"{facts.Name} cannot be loaded: {e.Message}", Retryable: true); }

        // Load the reference closure now: a missing one is reported at load time, not at some later call, and a
        // build that is being replaced never has to load anything into its (unloading) context.
        var missing = LoadReferences(loader, assembly, warnings);
        if (missing is not null) return missing;

        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e)
        {
            return Failure.From(e.LoaderExceptions.FirstOrDefault(x => x is not null) ?? e, $"loading the types of {facts.Name}");
        }

        var byContract = new Dictionary<Type, Type>();
        foreach (var type in types.Where(t => t.IsClass && !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (var contract in type.GetInterfaces())
            {
                if (contract.GetCustomAttribute<ToolAttribute>(inherit: false) is not { } tool) continue;
                if (AssemblyLoadContext.GetLoadContext(contract.Assembly) == loader.LoadContext)
                    return new Failure(PluginFailureKind.InvalidTool,
                        $"contract {contract.FullName} was loaded from the plugin's own folder, not shared from the host");
                if (!ToolAttribute.IsValidName(tool.Name))
                    return new Failure(PluginFailureKind.InvalidTool,
                        $"contract {contract.FullName} names its tool '{tool.Name}', which is not [a-z][a-z0-9_-]*");
                if (byContract.TryGetValue(contract, out var other))
                    return new Failure(PluginFailureKind.InvalidTool,
                        $"both {other.FullName} and {type.FullName} implement {contract.FullName} (tool '{tool.Name}'); a plugin provides each tool once");
                byContract[contract] = type;
            }
        }
        if (byContract.Count == 0)
            return new Failure(PluginFailureKind.NotAPlugin,
                $"{facts.Name} has no class implementing a contract interface marked [Arrakis.Tool(\"name\")]");

        var instances = new Dictionary<Type, ToolInstance>();
        foreach (var (contract, type) in byContract)
        {
            if (!instances.TryGetValue(type, out var instance))
            {
                if (type.GetConstructor(Type.EmptyTypes) is null)
                    return new Failure(PluginFailureKind.InvalidTool, $"{type.FullName} has no public parameterless constructor");
                instance = ToolInstance.Lazy(type, _host.Options.ToolConstructionTimeout, f => OnConstructionFailed(loader, f));
                instances[type] = instance;
            }
            var name = contract.GetCustomAttribute<ToolAttribute>()!.Name;
            registrations.Add(new ToolRegistry.Registration(
                new ToolDescriptor(name, contract, type.FullName ?? type.Name, Name, null), instance));
        }
        registrations.Sort((a, b) => string.CompareOrdinal(a.Descriptor.Name, b.Descriptor.Name));
        return null;
    }

    /// <summary>
    /// A tool of the build serving now could not be constructed (on first use): withdraw the plugin's tools, unload the
    /// build and report why; the next change of its files loads it again. Failures of a build no longer serving are ignored.
    /// </summary>
    private void OnConstructionFailed(PluginLoader loader, ToolConstructionFailure failure)
    {
        PluginReport report;
        lock (_gate)
        {
            if (_disposed || _loader != loader) return;
            var f = Failure.From(failure);
            report = new PluginReport(Name, Folder, _report.AssemblyPath, Source, PluginStatus.Failed, null, [], f.Kind, f.Reason, _report.Warnings);
            _report = report;
            (_loader, _version, _tools, _instances, _fingerprint) = (null, null, [], [], null);
        }
        _host.Registry.Withdraw(this, $"plugin '{Name}' failed: {failure.Message}");
        loader.Dispose();
        _host.OnPluginChanged(report);
    }

    private static Failure? LoadReferences(PluginLoader loader, Assembly assembly, List<string> warnings)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { assembly.GetName().Name! };
        var queue = new Queue<(Assembly Assembly, bool Direct)>([(assembly, true)]);
        while (queue.TryDequeue(out var item))
        {
            foreach (var reference in item.Assembly.GetReferencedAssemblies())
            {
                if (reference.Name is null || !seen.Add(reference.Name)) continue;
                Assembly loaded;
                try { loaded = loader.LoadAssembly(reference); }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException)
                {
                    var message = $"{item.Assembly.GetName().Name} references {reference.FullName}, which is neither in the plugin folder nor shared by the host";
                    if (item.Direct) return new Failure(PluginFailureKind.MissingDependency, message);
                    warnings.Add(message);
                    continue;
                }
                // Only the plugin's private assemblies can pull in more private assemblies.
                if (AssemblyLoadContext.GetLoadContext(loaded) == loader.LoadContext) queue.Enqueue((loaded, false));
            }
        }
        return null;
    }

    /// <summary>
    /// Identifies a build by content, not time: the MVID of every assembly beside the plugin assembly (a deterministic
    /// build changes it exactly when the code changes), a hash of each .json, size and time of native libraries. A
    /// build that rewrites unchanged files (the contracts, the deps.json) therefore does not cause a reload.
    /// </summary>
    private static string Fingerprint(string main, AssemblyFacts facts)
    {
        var parts = new List<string> { facts.Mvid.ToString("N") };
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(main)!).Order(StringComparer.Ordinal))
            {
                if (file == main) continue;
                var name = Path.GetFileName(file);
                switch (Path.GetExtension(file))
                {
                    case ".dll":
                        parts.Add($"{name}:{AssemblyFacts.TryReadMvid(file)?.ToString("N") ?? Stamp(file)}");
                        break;
                    case ".json":
                        parts.Add($"{name}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)))}");
                        break;
                    case ".so" or ".dylib":
                        parts.Add($"{name}:{Stamp(file)}");
                        break;
                }
            }
        }
        catch (IOException) { parts.Add(Guid.NewGuid().ToString()); }
        return string.Join('|', parts);

        static string Stamp(string file)
        {
            var info = new FileInfo(file);
            return $"{info.Length}:{info.LastWriteTimeUtc.Ticks}";
        }
    }

    public void Dispose()
    {
        PluginLoader? loader;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _timer.Dispose();
            loader = _loader;
            _loader = null;
        }
        _host.Registry.Withdraw(this);
        loader?.Dispose();
    }

    /// <summary>Why a load failed; <see cref="Retryable"/> when the files may still be being written.</summary>
    private readonly record struct Failure(PluginFailureKind Kind, string Reason, bool Retryable = false)
    {
        public static Failure From(ToolConstructionFailure f) =>
            f.Exception is FileNotFoundException or FileLoadException
                ? From(f.Exception, $"constructing {f.Type.FullName}")
                : new(f.TimedOut ? PluginFailureKind.ConstructorTimedOut : PluginFailureKind.ConstructorThrew, f.Message);

        public static Failure From(Exception e, string context)
        {
            while (e is TargetInvocationException or TypeInitializationException && e.InnerException is not null) e = e.InnerException!;
            return e switch
            {
                FileNotFoundException f => new(PluginFailureKind.MissingDependency, $"{context}: assembly '{f.FileName}' could not be found"),
                FileLoadException f => new(PluginFailureKind.MissingDependency, $"{context}: assembly '{f.FileName}' could not be loaded: {f.Message}"),
                BadImageFormatException b => new(PluginFailureKind.NotAPlugin, $"{context}: {b.Message}", Retryable: true),
                IOException io => new(PluginFailureKind.Unreadable, $"{context}: {io.Message}", Retryable: true),
                _ => new(PluginFailureKind.LoadFailed, $"{context}: {e.GetType().Name}: {e.Message}"),
            };
        }
    }
}
