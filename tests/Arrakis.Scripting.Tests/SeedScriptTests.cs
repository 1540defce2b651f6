namespace Arrakis.Scripting.Tests;

/// <summary>
/// The seed examples (../shared/seeds/000, 002, 003) as scripts under scripts/seeds/, run by the arrakis command with the
/// built-in tool plugins deployed beside it; and a script calling a built-in tool directly through <c>Tools</c>, which
/// hands it out bound to the script's model.
/// </summary>
public sealed class SeedScriptTests : IDisposable
{
    private readonly TempFolder _dir = new("arrakis-seed-scripts");

    public void Dispose() => _dir.Dispose();

    private Task<ArrakisProcess.Result> Run(params string[] args) => ArrakisProcess.RunAsync(_dir.Path, Path.Combine(_dir.Path, ".cache"), null, args);

    [Fact]
    public async Task Seed000_DecomposesTheResidualStream()
    {
        var r = await Run("run", Path.Combine(Repo.Scripts, "seeds", "000-residual-decomposer.csx"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Residual stream entering layer 0 (blocks.0.hook_resid_pre) at position 49 of sequence 0: 2 components", r.Out);
        Assert.Matches(@"Residual stream entering layer 3 \(blocks\.3\.hook_resid_pre\) at position 49 of sequence 0: \d+ components, top 10 by norm; reconstruction error [0-9.e-]+ \(relative\)", r.Out);
    }

    [Fact]
    public async Task Seed002_AttributesTheLogitAndFollowsTheToken()
    {
        var r = await Run("run", Path.Combine(Repo.Scripts, "seeds", "002-logit-attribution.csx"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Token 0 at position 49 (sequence 0) through 2 layer(s)", r.Out);
        Assert.Contains("Direct logit attribution of token 0 at position 49 (sequence 0)", r.Out);
        Assert.Contains("Per source token", r.Out);
    }

    [Fact]
    public async Task Seed003_ComposesAPairThatCan_AndRefusesTheSeedsSameLayerPair()
    {
        var r = await Run("run", Path.Combine(Repo.Scripts, "seeds", "003-attention-composition.csx"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Composition of L0H0 (writer) into L1H1 (reader)", r.Out);
        Assert.Contains("merged head weights (Arrakis's blend, not a composition measure)", r.Out);
        Assert.Contains("Path patching L0H0 → L1H1 through All (mean-ablation)", r.Out);
        Assert.Contains("The seed's pair: head1 L0H0 cannot compose into head2 L0H1", r.Out);
    }

    [Fact]
    public async Task AScript_GetsTheBuiltInToolsBoundToItsModel()
    {
        _dir.File("direct.csx", """
            using Arrakis.Tools;

            var tokens = tensor(new long[] { 3, 1, 4, 5, 2, 3, 1 });   // the last 1 appeared before, followed by 4
            var composer = Tools.Get<IAttentionComposer>("composer");
            Out.WriteLine(composer.AllCompositionScores(CompositionKind.K).Pairs[0]);
            Out.WriteLine($"largest: {Tools.Get<ILogitAttributor>("logit").LogitAttribution(tokens, 4).Largest.Label}");
            Out.WriteLine($"tools: {string.Join(", ", Tools.Names)}");
            """);
        var r = await Run("run", "direct.csx", "--model", "hand-built-induction");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("CompositionPair { Writer = L0H0, Reader = L1H0, Score = 0.35", r.Out);
        Assert.Contains("largest: L1H0", r.Out);
        Assert.Contains("tools: composer, decomposer, logit", r.Out);
    }
}
