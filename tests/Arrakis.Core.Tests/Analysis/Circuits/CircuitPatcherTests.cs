using Arrakis.Circuits;
using Arrakis.Tests.Model;
using static TorchSharp.torch;

namespace Arrakis.Tests.Analysis.Circuits;

public class CircuitPatcherTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Func<Tensor, Tensor> LogitDiff(long answer, long other) => logits => logits[.., -1, answer] - logits[.., -1, other];

    private static double PlainMetric(HookedTransformer model, Tensor tokens, Func<Tensor, Tensor> metric)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return metric(model.forward(tokens)).mean().to(ScalarType.Float64).item<double>();
    }

    [Theory]
    [MemberData(nameof(TestModels.Families), MemberType = typeof(TestModels))]
    public void TheFullGraph_GivesTheModelsMetric_AndTheEmptyCircuit_TheCorruptedRun(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var clean = TestModels.Tokens(3, 7, seed: 5);
        var corrupted = TestModels.Tokens(3, 7, seed: 9);
        var metric = LogitDiff(3, 7);
        using var patcher = new CircuitPatcher(model, clean, Corruption.Paired(corrupted), metric);
        double modelMetric = PlainMetric(model, clean, metric), corruptedMetric = PlainMetric(model, corrupted, metric);
        output.WriteLine($"{family}: full {patcher.CleanMetric:G8} vs model {modelMetric:G8}; empty {patcher.CorruptedMetric:G8} vs corrupted run {corruptedMetric:G8}");
        Assert.True(Math.Abs(patcher.CleanMetric - modelMetric) <= 1e-5, $"full graph {patcher.CleanMetric} vs model {modelMetric}");
        Assert.True(Math.Abs(patcher.CorruptedMetric - corruptedMetric) <= 1e-4 * Math.Max(1, Math.Abs(corruptedMetric)),
            $"empty circuit {patcher.CorruptedMetric} vs corrupted run {corruptedMetric}");
        Assert.NotEqual(modelMetric, corruptedMetric, 3);
        var all = patcher.Evaluate(patcher.Graph.Edges);
        Assert.Equal(1.0, all.Faithfulness, 5);
        Assert.Equal(1.0, all.Completeness, 4);  // the complement is the empty circuit
        Assert.False(model.Options.UseSplitQkvInput);  // options restored
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("neox")]
    public void TheGraph_IsEdgeAttributionPatchingsGraph(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var graph = EdgeAttributionPatching.Run(model, TestModels.Tokens(2, 5), TestModels.Tokens(2, 5, seed: 9), LogitDiff(3, 7));
        Assert.Equal(graph.Edges.Select(e => e.Name), CircuitGraph.Of(model.Cfg).Edges.Select(e => e.Name));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("neox")]
    public void BatchedCircuits_EqualOneForwardPassPerCircuit(string family)
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create(family);
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        using var batched = new CircuitPatcher(model, clean, Corruption.Paired(corrupted), LogitDiff(3, 7), maxVariantsPerPass: 5);
        using var looped = new CircuitPatcher(model, clean, Corruption.Paired(corrupted), LogitDiff(3, 7), maxVariantsPerPass: 1);
        var random = new Random(11);
        var circuits = Enumerable.Range(0, 7).Select(_ => batched.Graph.Edges.Select(_ => random.NextDouble() < 0.5).ToArray()).ToList();
        var a = batched.Metrics(circuits);
        var b = looped.Metrics(circuits);
        for (int i = 0; i < circuits.Count; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * Math.Max(1, Math.Abs(b[i])), $"circuit {i}: batched {a[i]} vs looped {b[i]}");
        Assert.Equal(1 + 1 + 2, batched.ForwardPasses);  // writes, full + empty, 7 circuits in 2 passes
        Assert.Equal(1 + 2 + 7, looped.ForwardPasses);   // writes, full, empty, 7 circuits
        Assert.True(a.Distinct().Count() > 1);
    }

    [Fact]
    public void OneEdgePatched_EqualsPathPatchingOfThatHeadPair()
    {
        // Removing only L0H1 → L1H2<k> from the full graph is path patching of that sender into that receiver's key (Wang et al.).
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(2, 6, seed: 5);
        var corrupted = TestModels.Tokens(2, 6, seed: 9);
        Tensor Metric(Tensor logits) => logits[.., -1, 3] - logits[.., -1, 7];
        using var patcher = new CircuitPatcher(model, clean, Corruption.Paired(corrupted), Metric);
        var mask = Enumerable.Repeat(true, patcher.Graph.Edges.Count).ToArray();
        mask[patcher.Graph.IndexOf("L0H1->L1H2<k>")] = false;
        double edge = patcher.Metrics([mask])[0];
        var path = PathPatching.Run(model, clean, (0, 1), (1, 2), PathInput.Key, corrupted, (logits, _) => Metric(logits));
        output.WriteLine($"edge patching {edge:G8}, path patching {path.Patched:G8}, clean {patcher.CleanMetric:G8}");
        Assert.True(Math.Abs(edge - path.Patched) <= 1e-5, $"{edge} vs {path.Patched}");
        Assert.NotEqual(patcher.CleanMetric, edge, 6);
    }

    [Theory]
    [InlineData(CorruptionKind.Mean)]
    [InlineData(CorruptionKind.Resample)]
    public void MeanAndResample_EmptyCircuitIsTheModelWithEveryWriteReplaced(CorruptionKind kind)
    {
        // Empty circuit under mean ablation: every reader sees the mean writes, so the logits are the unembedded mean stream;
        // checked against a run whose embeddings, z and MLP outputs are replaced by their batch means (resample: permuted rows).
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(4, 6, seed: 5);
        var metric = LogitDiff(3, 7);
        var corruption = kind == CorruptionKind.Mean ? Corruption.Mean() : Corruption.Resample(seed: 2);
        using var patcher = new CircuitPatcher(model, clean, corruption, metric);
        var (source, transform) = corruption.Source(model, clean);
        var names = new[] { "hook_embed", "hook_pos_embed", "blocks.0.attn.hook_z", "blocks.0.hook_mlp_out", "blocks.1.attn.hook_z", "blocks.1.hook_mlp_out" };
        var (_, cache) = model.RunWithCache(source, names);
        using (cache)
        {
            var hooks = names.Select(n => new Arrakis.Hooks.Hook(n, (x, _) => transform is null ? cache[n] : transform(cache[n]))).ToList();
            using var noGrad = no_grad();
            double expected = metric(model.RunWithHooks(clean, hooks)).mean().to(ScalarType.Float64).item<double>();
            output.WriteLine($"{kind}: empty circuit {patcher.CorruptedMetric:G8}, all writes replaced {expected:G8}");
            Assert.True(Math.Abs(patcher.CorruptedMetric - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void BadInput_NamesTheArgument()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Create("gpt2");
        var clean = TestModels.Tokens(2, 6);
        Assert.Equal("corruption", Assert.Throws<ArgumentException>(() => new CircuitPatcher(model, clean, Corruption.Paired(TestModels.Tokens(2, 5)), LogitDiff(3, 7))).ParamName);
        Assert.Equal("maxVariantsPerPass", Assert.Throws<ArgumentOutOfRangeException>(() => new CircuitPatcher(model, clean, Corruption.Mean(), LogitDiff(3, 7), 0)).ParamName);
        Assert.Equal("metric", Assert.Throws<ArgumentException>(() => new CircuitPatcher(model, clean, Corruption.Mean(), l => l[.., -1, 0].sum())).ParamName);
        using var patcher = new CircuitPatcher(model, clean, Corruption.Mean(), LogitDiff(3, 7));
        Assert.Equal("circuits", Assert.Throws<ArgumentException>(() => patcher.Metrics([new bool[3]])).ParamName);
        var foreign = new GraphEdge(GraphNode.AttentionHead(1, 0), GraphNode.AttentionHead(0, 1), EdgeInput.Key, 0);
        Assert.Equal("edges", Assert.Throws<ArgumentException>(() => patcher.Evaluate([foreign])).ParamName);
    }
}
