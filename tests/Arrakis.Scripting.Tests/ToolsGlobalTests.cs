namespace Arrakis.Scripting.Tests;

/// <summary>
/// A script calling a built-in tool directly through <c>Tools</c>, which hands it out bound to the script's model (the
/// built-in tool plugins deployed beside the arrakis command).
/// </summary>
public sealed class ToolsGlobalTests : IDisposable
{
    private readonly TempFolder _dir = new("arrakis-tools-global");

    public void Dispose() => _dir.Dispose();

    private Task<ArrakisProcess.Result> Run(params string[] args) => ArrakisProcess.RunAsync(_dir.Path, Path.Combine(_dir.Path, ".cache"), null, args);

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
        Assert.Contains("tools: attention, causal, circuits, composer, decomposer, kg, knowledge, lens, logit, patching, readwrite, residual, surgery", r.Out);
    }

    [Fact]
    public async Task ToolsFor_BindsTheToolsToASecondModel_AndReportIsThePluginLoadReport()
    {
        _dir.File("two.csx", """
            using Arrakis.Tools;

            var other = HookedTransformer.FromPretrained("attn-only-1l");
            var mine = Tools.Get<IAttentionComposer>("composer").AllCompositionScores(CompositionKind.K).Pairs.Count;
            var theirs = Tools.For(other).Get<IAttentionComposer>("composer").AllCompositionScores(CompositionKind.K).Pairs.Count;
            Out.WriteLine($"pairs: {mine} {theirs}");
            Out.WriteLine($"report: {Tools.Report!.Plugins.Count(p => p.Status == Arrakis.Bench.Plugins.PluginStatus.Loaded)} loaded");
            """);
        var r = await Run("run", "two.csx", "--model", "hand-built-induction");
        Assert.True(r.ExitCode == 0, r.ToString());
        // hand-built-induction: 2 layers of 2 heads → 4 K-composition pairs; attn-only-1l has one layer → none.
        Assert.Contains("pairs: 4 0", r.Out);
        int deployed = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "plugins")).Length; // the built-in plugins
        Assert.Contains($"report: {deployed} loaded", r.Out);
    }
}
