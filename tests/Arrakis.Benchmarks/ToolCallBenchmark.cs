using Arrakis.Bench.Plugins;
using Arrakis.Bench.Tools;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Sample.WordCount.Contracts;

namespace Arrakis.Benchmarks;

/// <summary>
/// What resolving a tool by name on every call costs (as experiments do, so a reload is picked up by the next call):
/// <c>registry.Get&lt;T&gt;(name).Method()</c> against calling the same instance directly. Two tools: one
/// registered in code, and the Sample.WordCount plugin loaded by a <see cref="PluginHost"/> into a collectible
/// load context. The difference in each category is the registry's overhead.
/// </summary>
/// <remarks>dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*ToolCall*' --job short</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ToolCallBenchmark
{
    [Tool("dot")]
    public interface IDot
    {
        float Dot(float[] a, float[] b);
    }

    private sealed class DotTool : IDot
    {
        public float Dot(float[] a, float[] b)
        {
            var sum = 0f;
            for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
            return sum;
        }
    }

    private const string Text = "the quick brown fox jumps over the lazy dog";
    private readonly float[] _a = Enumerable.Range(0, 64).Select(i => i / 64f).ToArray();
    private readonly float[] _b = Enumerable.Range(0, 64).Select(i => 1 - i / 64f).ToArray();
    private ToolRegistry _registry = null!;
    private PluginHost _host = null!;
    private IDot _dot = null!;
    private IWordCount _wordCount = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new PluginHostOptions { HotReload = false };
        options.AddFolder(FindPluginsFolder());
        _host = new PluginHost(options);
        var report = _host.Load();
        _registry = _host.Registry;
        _registry.Register<IDot>("dot", new DotTool());
        _dot = _registry.Get<IDot>("dot");
        _wordCount = _registry.Get<IWordCount>("wordcount") ?? throw new InvalidOperationException(report.ToString());
    }

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("code tool: 64-float dot")]
    public float DotDirect() => _dot.Dot(_a, _b);

    [Benchmark, BenchmarkCategory("code tool: 64-float dot")]
    public float DotThroughRegistry() => _registry.Get<IDot>("dot").Dot(_a, _b);

    [Benchmark, BenchmarkCategory("registry lookup alone")]
    public IWordCount LookupOnly() => _registry.Get<IWordCount>("wordcount");

    [Benchmark(Baseline = true), BenchmarkCategory("plugin tool: wordcount")]
    public int WordCountDirect() => _wordCount.Count(Text, top: 3).Words;

    [Benchmark, BenchmarkCategory("plugin tool: wordcount")]
    public int WordCountThroughRegistry() => _registry.Get<IWordCount>("wordcount").Count(Text, top: 3).Words;

    /// <summary>The built-in plugins folder deployed beside this project's output (BenchmarkDotNet runs from a sub-folder of it).</summary>
    private static string FindPluginsFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "plugins");
            if (File.Exists(Path.Combine(candidate, "Sample.WordCount", "Sample.WordCount.dll"))) return candidate;
        }
        throw new DirectoryNotFoundException($"no plugins/Sample.WordCount above {AppContext.BaseDirectory}; build tests/Arrakis.Benchmarks first");
    }
}
