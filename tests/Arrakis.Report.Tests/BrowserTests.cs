using System.Globalization;
using Arrakis.Plots;
using Arrakis.Scripting;

namespace Arrakis.Report.Tests;

/// <summary>The report in headless chromium: every view renders without console errors, hover shows values, the
/// attention view highlights the right sources, and the main job's report looks as it should.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserTests(Browser browser)
{
    private static string AllViewsPage(TempFolder dir)
    {
        string path = dir.File("views.html");
        File.WriteAllText(path, FigurePage.Render(SampleFigures.All()));
        return path;
    }

    [Fact]
    public async Task EveryView_Renders_WithoutConsoleErrors()
    {
        using var dir = new TempFolder();
        var (page, errors) = await browser.Open(AllViewsPage(dir));
        foreach (var figure in SampleFigures.All())
        {
            var element = page.Locator($"figure[data-kind=\"{figure.Kind}\"]");
            Assert.Equal(1, await element.CountAsync());
            var box = await element.BoundingBoxAsync();
            Assert.True(box is { Width: > 200, Height: > 60 }, $"{figure.Kind}: {box?.Width}×{box?.Height}");
            Assert.Equal(figure.Title, await element.Locator("figcaption").InnerTextAsync());
        }
        // Hovering every kind of value-carrying element exercises the script.
        foreach (string selector in new[] { "rect.cell", "g.bar", "circle.point", "rect.bin", "g.edge", ".ctok", ".tok" })
            await page.Locator(selector).First.HoverAsync(new() { Force = true });
        Assert.Empty(errors);
    }

    [Fact]
    public async Task HeatmapCells_CarryTheirValues_AndHoverShowsThem()
    {
        using var dir = new TempFolder();
        var (page, errors) = await browser.Open(AllViewsPage(dir));
        var heatmap = SampleFigures.Heatmap();
        var cells = page.Locator("figure[data-kind=\"heatmap\"] rect.cell");
        Assert.Equal(heatmap.RowLabels.Count * heatmap.ColumnLabels.Count, await cells.CountAsync());
        for (int r = 0; r < heatmap.RowLabels.Count; r++)
            for (int c = 0; c < heatmap.ColumnLabels.Count; c++)
            {
                string? value = await page.Locator($"figure[data-kind=\"heatmap\"] rect.cell[data-row=\"{r}\"][data-col=\"{c}\"]").GetAttributeAsync("data-value");
                Assert.Equal(heatmap.Values[r][c], double.Parse(value!, CultureInfo.InvariantCulture), 6);
            }
        await page.Locator("figure[data-kind=\"heatmap\"] rect.cell[data-row=\"2\"][data-col=\"4\"]").HoverAsync();
        Assert.True(await page.Locator("#tip").IsVisibleAsync());
        Assert.Equal("layer final_post, position 4: A: 0.9", await page.Locator("#tip").InnerTextAsync());
        await page.Locator("figure[data-kind=\"bars\"] g.bar[data-label=\"L1H0\"] rect").HoverAsync();
        Assert.Equal("L1H0: 3.25", await page.Locator("#tip").InnerTextAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AttentionHover_HighlightsTheSourcesOfTheQuery_WithTheirWeights()
    {
        using var dir = new TempFolder();
        var (page, errors) = await browser.Open(AllViewsPage(dir));
        var figure = SampleFigures.Attention();
        // Query 5 ("B", the second copy) in the induction head L1H0 attends to position 3 (0.75) and BOS (0.25).
        int q = 5;
        await page.Locator($".head-panel[data-head=\"1\"] .tok[data-pos=\"{q}\"]").HoverAsync();
        for (int h = 0; h < figure.Heads.Count; h++)
            for (int k = 0; k < figure.Tokens.Count; k++)
            {
                var token = page.Locator($".head-panel[data-head=\"{h}\"] .tok[data-pos=\"{k}\"]");
                double weight = double.Parse((await token.GetAttributeAsync("data-weight"))!, CultureInfo.InvariantCulture);
                Assert.Equal(figure.Patterns[h][q][k], weight, 4);
                string shown = await token.Locator("sub.w").InnerTextAsync();
                Assert.Equal(figure.Patterns[h][q][k] >= 0.01 ? figure.Patterns[h][q][k].ToString("F2", CultureInfo.InvariantCulture) : "", shown);
                string background = await token.EvaluateAsync<string>("e => getComputedStyle(e).backgroundColor");
                Assert.True(figure.Patterns[h][q][k] > 0 == background.StartsWith("rgba(214, 39, 40", StringComparison.Ordinal), $"head {h} key {k}: {background}");
            }
        Assert.True(await page.Locator($".head-panel[data-head=\"1\"] .tok[data-pos=\"{q}\"]").EvaluateAsync<bool>("e => e.classList.contains('query')"));
        string info = await page.Locator(".attention-info").InnerTextAsync();
        Assert.Contains("query 5 B → L0H0: 4 A 0.750", info);
        Assert.Contains("L1H0: 3 C 0.750, 0 <bos> 0.250", info);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task HeadSelector_ShowsAndHidesHeads()
    {
        using var dir = new TempFolder();
        var (page, errors) = await browser.Open(AllViewsPage(dir));
        var panel = page.Locator(".head-panel[data-head=\"1\"]");
        Assert.True(await panel.IsVisibleAsync());
        await page.Locator(".head-toggle[data-head=\"1\"]").UncheckAsync();
        Assert.False(await panel.IsVisibleAsync());
        await page.Locator(".head-toggle[data-head=\"1\"]").CheckAsync();
        Assert.True(await panel.IsVisibleAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task MainJobReport_RendersItsFigures_AndItsScreenshotShowsThem()
    {
        // The main job (scripts/induction.csx) on the shipped attn-only-2l, with fewer sequences; it writes its report.
        using var dir = new TempFolder();
        using var cache = new TempFolder();
        var host = new ScriptHost(new ScriptHostOptions { CacheDirectory = cache.Path });
        var output = new StringWriter();
        var globals = new ScriptGlobals(() => HookedTransformer.FromPretrained("attn-only-2l"), args: ["8", "0"], outDir: dir.Path, output: output, modelName: "attn-only-2l");
        await host.RunFileAsync(Path.Combine(Repo.Scripts, "induction.csx"), globals);
        string text = output.ToString();
        string reportLine = text.Split('\n').Single(l => l.StartsWith("Report: ", StringComparison.Ordinal)).Trim();
        string path = reportLine["Report: ".Length..];
        Assert.True(File.Exists(path), text);
        long bytes = new FileInfo(path).Length;
        Assert.InRange(bytes, 20_000, 5_000_000);

        var (page, errors) = await browser.Open(path, 1280, 900);
        Assert.Equal(6, await page.Locator("figure.figure").CountAsync());
        Assert.Equal(1, await page.Locator("figure[data-kind=\"attention\"]").CountAsync());
        var cfg = globals.Model.Cfg;
        Assert.Equal(cfg.NLayers * cfg.NHeads, await page.Locator("figure[data-kind=\"attention\"] .head-toggle").CountAsync());   // every head of the model
        Assert.True(await page.Locator("pre.source").IsVisibleAsync());
        Assert.Contains("induction-circuit", await page.Locator("h1").InnerTextAsync());
        Assert.True(await page.Locator("td:has-text(\"attn-only-2l\")").CountAsync() > 0);
        // The DLA bar of the induction head the script found, with its value.
        var run = new Arrakis.Bench.ExperimentStore(dir.Path).ReadRuns("induction-circuit").Single();
        string head = run.Result!["inductionHead"]!.GetValue<string>();
        Assert.True(await page.Locator($"figure[data-kind=\"bars\"] g.bar[data-label=\"{head}\"]").CountAsync() >= 1);

        byte[] png = await page.ScreenshotAsync(new() { FullPage = true });
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "main-job-report.png"), png);   // kept for a look
        var (width, height) = ImageChecks.PngSize(png);
        Assert.Equal(1280, width);
        Assert.True(height > 2000, $"a full report is tall; got {height}");
        Assert.True(ImageChecks.DistinctColours(png) > 50, "the screenshot shows coloured figures");
        var viewport = await page.ScreenshotAsync();
        Assert.Equal((1280, 900), ImageChecks.PngSize(viewport));
        Assert.Empty(errors);
    }
}
