using Arrakis.Bench.Plugins;

namespace Arrakis.Experiments.Tools;

/// <summary>
/// The built-in tool plugins (decomposer, logit, composer) deployed beside this test assembly, loaded once through the
/// plugin host: no environment, configuration file or hot reload.
/// </summary>
public static class BuiltInPlugins
{
    private static readonly Lazy<PluginHost> LazyHost = new(() =>
    {
        var options = PluginHostOptions.Resolve(environment: _ => null);
        options.HotReload = false;
        var host = new PluginHost(options);
        var report = host.Load();
        foreach (var name in new[] { "decomposer", "logit", "composer" })
            if (!host.Registry.Contains(name))
                throw new InvalidOperationException($"The built-in tool '{name}' did not load:\n{report}");
        return host;
    });

    /// <summary>The host, loaded on first use.</summary>
    public static PluginHost Host => LazyHost.Value;

    /// <summary>A registry holding the plugins' tools (unbound prototypes: the bench binds them to its model), which a test may replace.</summary>
    public static DictionaryToolRegistry Registry()
    {
        var registry = new DictionaryToolRegistry();
        foreach (var name in Host.Registry.Names)
            registry.Set(name, Host.Registry.Get(name));
        return registry;
    }
}
