using Arrakis.Bench.Tools;
using Arrakis.Tools;

namespace Arrakis.Experiments.Tools;

/// <summary>The one-line registry an outside experiment suite uses: the built-in plugins deployed beside the test assembly.</summary>
public class WithBuiltInToolsTests
{
    [Fact]
    public void WithBuiltInTools_serves_the_built_in_tools_deployed_beside_the_assembly()
    {
        ToolRegistry registry = ToolRegistry.WithBuiltInTools();
        // This project deploys the seed tools and the patching tool (Arrakis.Experiments.csproj's ArrakisPlugin items).
        Assert.Equal(["composer", "decomposer", "logit", "patching"], registry.Names);
        Assert.IsAssignableFrom<IResidualDecomposer>(registry.Get("decomposer"));
        Assert.IsAssignableFrom<ILogitAttributor>(registry.Get("logit"));
        Assert.IsAssignableFrom<IAttentionComposer>(registry.Get("composer"));
    }

    [Fact]
    public void A_bench_over_WithBuiltInTools_runs_a_seed_experiment_on_a_shipped_model()
    {
        using var model = HookedTransformer.FromPretrained("attn-only-2l");
        string saveDir = Directory.CreateTempSubdirectory("arrakis-builtin-").FullName;
        try
        {
            var bench = new MIExperiment(model, saveDir, ToolRegistry.WithBuiltInTools());
            using var tokens = MIExperiment.RepeatedTokens(seed: 1, batch: 1, half: 8);
            using var rd = bench.TestResidualDecomposer(tokens, 1);
            Assert.Equal("ok", Assert.Single(bench.Store.ReadRuns("MIExperiment.TestResidualDecomposer")).Status);
        }
        finally
        {
            Directory.Delete(saveDir, recursive: true);
        }
    }
}
