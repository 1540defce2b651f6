using Microsoft.Playwright;

namespace Arrakis.Report.Tests;

/// <summary>
/// Debian's chromium, headless, driven by Playwright (its driver ships in the NuGet package; no browser is ever
/// downloaded). The browser is <c>$ARRAKIS_CHROMIUM</c> or <c>/usr/bin/chromium</c>; when it is missing every browser
/// test fails with a message saying how to install it (<c>.ci/run</c> installs it), never skips.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public static readonly string[] Args =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private IPlaywright? _playwright;

    public IBrowser Chromium { get; private set; } = null!;

    public static string ExecutablePath => Environment.GetEnvironmentVariable("ARRAKIS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException(
                $"The browser tests need Debian's chromium at {ExecutablePath} (or ARRAKIS_CHROMIUM): apt-get install -y chromium (.ci/run installs it when missing).");
        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true, Args = Args });
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null) await Chromium.DisposeAsync();
        _playwright?.Dispose();
    }

    /// <summary>A page of <paramref name="htmlPath"/> (opened from disk, offline), with every console error and page error collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> Open(string htmlPath, int width = 1280, int height = 900)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, Offline = true });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => errors.Add($"page error: {e}");
        page.RequestFailed += (_, r) => errors.Add($"request failed: {r.Url}");
        await page.GotoAsync(new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri);
        return (page, errors);
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "browser";
}
