using Arrakis.Bench;
using Arrakis.Bench.Plugins;
using Arrakis.Tests.Model;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>The built-in tools come from the plugin assemblies deployed beside this test host, not from this test's code.</summary>
[Collection(ToolsCollection.Name)]
public sealed class PluginLoadingTests(BuiltInTools tools)
{
    [Theory]
    [InlineData("Arrakis.Tools.Decomposer", "decomposer", typeof(IResidualDecomposer))]
    [InlineData("Arrakis.Tools.Logit", "logit", typeof(ILogitAttributor))]
    [InlineData("Arrakis.Tools.Composer", "composer", typeof(IAttentionComposer))]
    [InlineData("Arrakis.Tools.Patching", "patching", typeof(IActivationPatcher))]
    [InlineData("Arrakis.Tools.Attention", "attention", typeof(IAttentionTools))]
    [InlineData("Arrakis.Tools.Lens", "lens", typeof(ILens))]
    [InlineData("Arrakis.Tools.ReadWrite", "readwrite", typeof(IReadWriteHeads))]
    [InlineData("Arrakis.Tools.Residual", "residual", typeof(IResidualTools))]
    [InlineData("Arrakis.Tools.Causal", "causal", typeof(ICausalTracer))]
    [InlineData("Arrakis.Tools.Surgery", "surgery", typeof(IModelSurgery))]
    [InlineData("Arrakis.Tools.Knowledge", "knowledge", typeof(IKnowledgeProber))]
    [InlineData("Arrakis.Tools.Kg", "kg", typeof(IKnowledgeGraphExtractor))]
    [InlineData("Arrakis.Tools.Circuits", "circuits", typeof(ICircuitFinder))]
    public void EachTool_LoadsFromItsBuiltInPlugin_TypedByTheSharedContract(string plugin, string tool, Type contract)
    {
        PluginReport report = tools.Report[plugin] ?? throw new Xunit.Sdk.XunitException($"plugin {plugin} not found:\n{tools.Report}");
        Assert.True(report.Status == PluginStatus.Loaded, report.ToString());
        Assert.Equal(PluginFolderSource.BuiltIn, report.Source);
        Assert.Empty(report.Warnings);
        var descriptor = Assert.Single(report.Tools);
        Assert.Equal(tool, descriptor.Name);
        Assert.Same(contract, descriptor.Contract);   // the contract the tests compile against, shared with the plugin

        object prototype = tools.Host.Registry.Get(tool);
        Assert.Equal(plugin, prototype.GetType().Assembly.GetName().Name);
        Assert.IsAssignableFrom(contract, prototype);
        Assert.IsAssignableFrom<IModelTool>(prototype);
    }

    [Fact]
    public void ThePrototype_RefusesToRunWithoutAModel_AndSaysHowToBindIt()
    {
        var decomposer = tools.Host.Registry.Get<IResidualDecomposer>("decomposer");
        var e = Assert.Throws<InvalidOperationException>(() => decomposer.MlpBasis(0));
        Assert.Contains("'decomposer' tool is not bound to a model", e.Message);
        Assert.Contains("WithModel(model)", e.Message);
        Assert.Throws<InvalidOperationException>(() => tools.Host.Registry.Get<ILogitAttributor>("logit").TrackTokenCirculation(tensor(new long[] { 1 }), 0));
        Assert.Throws<InvalidOperationException>(() => tools.Host.Registry.Get<IAttentionComposer>("composer").AllCompositionScores(CompositionKind.K));
    }

    [Fact]
    public void TheBench_BindsEveryModelTool_ToItsModel_OnEveryLookup()
    {
        using var model = TestModels.Create("gpt2");
        var saveDir = Directory.CreateTempSubdirectory("arrakis-tools-bench-");
        try
        {
            var bench = new InterpretabilityBench(model, saveDir.FullName, tools.Host.Registry);
            var first = bench.Tools.Get<IResidualDecomposer>("decomposer");
            var second = bench.Tools.Get<IResidualDecomposer>("decomposer");
            Assert.NotSame(first, second);                                  // resolved (and bound) on every call
            Assert.NotSame(tools.Host.Registry.Get("decomposer"), first);   // the registry's prototype stays unbound
            using var rd = first.DecomposeResidual(TestModels.Tokens(1, 5), 1);
            Assert.True(rd.ReconstructionError <= 1e-4);
            Assert.IsAssignableFrom<ILogitAttributor>(bench.Tools.Get("logit"));   // the untyped lookup binds too
        }
        finally
        {
            saveDir.Delete(recursive: true);
        }
    }
}
