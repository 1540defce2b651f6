using System.Reflection;
using System.Runtime.Loader;
using Arrakis.Bench;
using Arrakis.Bench.Tools;
using Microsoft.CodeAnalysis;

namespace Arrakis.Generators.Tests;

/// <summary>
/// The generated members are compiled and called, not only compared as text: a source with every supported method
/// shape and a driver that calls the callable forms in plain C# (so the compiler's overload resolution is exercised) is
/// compiled with the generator's output, emitted, loaded and run against a real bench, tools and store.
/// </summary>
public sealed class GeneratedCallTests : IDisposable
{
    private const string Experiments = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Arrakis;
        using Arrakis.Bench;
        using Lab.Tools;

        namespace Lab;

        public sealed class Decomposer : IResidualDecomposer
        {
            public double[] DecomposeResidual(int[] inputIds, int layerIdx, int topK = 10) => new double[] { inputIds.Length, layerIdx, topK };
        }

        public sealed class Logit : ILogitAttributor
        {
            public double[] LogitAttribution(int[] inputIds, int targetIdx) => new double[] { 100 * targetIdx };
            public double[] TrackTokenCirculation(int[] inputIds, int targetToken, int nLayers = 5) => new double[0];
        }

        public partial class Shapes(HookedTransformer m, string saveDir, IToolRegistry tools) : InterpretabilityBench(m, saveDir, tools)
        {
            [UseTools("decomposer")]
            public double Plain(int[] ids, IResidualDecomposer decomposer) => decomposer.DecomposeResidual(ids, 0)[0];

            /// <summary>Optional parameters, the tool's too: the callable form keeps the defaults and is preferred.</summary>
            [UseTools("decomposer"), LogExperiment]
            public double WithDefaults(int[] ids, int layer = 3, string label = "x", IResidualDecomposer decomposer = null!) =>
                decomposer.DecomposeResidual(ids, layer)[1] + label.Length;

            /// <summary>Two tools, awaited: the run is recorded when the task completes.</summary>
            [UseTools("decomposer", "logit"), LogExperiment]
            public async Task<double> Later(int[] ids, IResidualDecomposer decomposer, ILogitAttributor logit)
            {
                await Task.Delay(50);
                return decomposer.DecomposeResidual(ids, 1)[1] + logit.LogitAttribution(ids, 2)[0];
            }

            /// <summary>A ref struct parameter, forwarded as is (not recorded).</summary>
            [UseTools("decomposer")]
            public int SpanLength(System.ReadOnlySpan<int> ids, IResidualDecomposer decomposer) => ids.Length + (int)decomposer.DecomposeResidual(new int[0], 0)[2];

            [UseTools("decomposer"), LogExperiment, TestHypothesis(nameof(Low), nameof(High), Samples = 6, Alpha = 0.01)]
            public double Tested(int n, IResidualDecomposer decomposer) => n;

            private int _draw;
            private double Low(int n) => n + (_draw++ % 3) * 0.1;
            private double High(int n) => n + 10 + (_draw++ % 3) * 0.1;
        }

        public static class Driver
        {
            public static async Task<string> Run(Shapes s)
            {
                var results = new List<string>
                {
                    s.Plain(new[] { 1, 2, 3 }).ToString(),
                    s.WithDefaults(new[] { 1 }).ToString(),
                    s.WithDefaults(new[] { 1 }, 5).ToString(),
                    s.WithDefaults(new[] { 1 }, label: "four").ToString(),
                    (await s.Later(new[] { 1 })).ToString(),
                    s.SpanLength(new[] { 1, 2 }).ToString(),
                    s.Tested(7).ToString(),
                };
                return string.Join(",", results);
            }
        }
        """;

    private readonly string _saveDir = Directory.CreateTempSubdirectory("arrakis-generated-call-").FullName;

    public void Dispose() => Directory.Delete(_saveDir, recursive: true);

    [Fact]
    public async Task GeneratedCallableForms_CompileWithoutAmbiguity_AndCallTheExperimentsWithToolsDefaultsAndRecords()
    {
        var (_, output, _) = GeneratorHarness.Generate(GeneratorHarness.Compile(("Tools.cs", Samples.Tools), ("Shapes.cs", Experiments)));
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        Assembly lab = new AssemblyLoadContext("generated-call-test").LoadFromStream(image);

        var registry = new ToolRegistry();
        Type decomposerContract = lab.GetType("Lab.Tools.IResidualDecomposer", throwOnError: true)!;
        Type logitContract = lab.GetType("Lab.Tools.ILogitAttributor", throwOnError: true)!;
        Register(registry, decomposerContract, "decomposer", Activator.CreateInstance(lab.GetType("Lab.Decomposer", throwOnError: true)!)!);
        Register(registry, logitContract, "logit", Activator.CreateInstance(lab.GetType("Lab.Logit", throwOnError: true)!)!);

        using var model = new HookedTransformer(new HookedTransformerConfig
        {
            NLayers = 1, DModel = 8, NHeads = 2, DHead = 4, DVocab = 10, NCtx = 8, AttnOnly = true,
        });
        object bench = Activator.CreateInstance(lab.GetType("Lab.Shapes", throwOnError: true)!, model, _saveDir, registry)!;
        var run = (Task<string>)lab.GetType("Lab.Driver", throwOnError: true)!.GetMethod("Run")!.Invoke(null, [bench])!;

        // Plain: 3 ids; defaults: layer 3 + "x"; layer 5 + "x"; layer 3 + "four"; two tools: layer 1 + 100 · 2;
        // the span's length + the tool's topK default (10); the hypothesis experiment's own value.
        Assert.Equal("3,4,6,7,201,12,7", await run);

        var store = ((InterpretabilityBench)bench).Store;
        var defaults = store.ReadRuns("Shapes.WithDefaults");
        Assert.Equal(3, defaults.Count);
        Assert.Equal(3, (int)defaults[0].Arguments!["layer"]!);
        Assert.Equal("x", (string)defaults[0].Arguments!["label"]!);
        Assert.Equal(5, (int)defaults[1].Arguments!["layer"]!);
        Assert.Equal("four", (string)defaults[2].Arguments!["label"]!);

        var later = Assert.Single(store.ReadRuns("Shapes.Later"));
        Assert.Equal("ok", later.Status);
        Assert.True(later.DurationMs >= 40, $"the awaited run was recorded after {later.DurationMs} ms");
        Assert.Equal(201.0, (double)later.Result!);
        Assert.Equal(["decomposer", "logit"], later.Tools!.Select(t => t.Name));

        var tested = Assert.Single(store.ReadRuns("Shapes.Tested"));
        Assert.NotNull(tested.Hypothesis);
        Assert.Equal(6, tested.Hypothesis.Samples);
        Assert.True(tested.Hypothesis.RejectNull);
    }

    private static void Register(ToolRegistry registry, Type contract, string name, object tool) =>
        typeof(ToolRegistry).GetMethod(nameof(ToolRegistry.Register))!.MakeGenericMethod(contract).Invoke(registry, [name, tool]);
}
