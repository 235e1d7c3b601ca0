using Inventory.Tests.Support;
using Microsoft.Playwright;

namespace Inventory.Tests.Browser;

/// <summary>
/// The real service (with the built front end) plus Debian's headless Chromium driven by Playwright.
/// Playwright's own browser download cannot work offline, so it launches /usr/bin/chromium (`make chromium`).
/// </summary>
public sealed class BrowserService : TestService
{
    /// <summary>
    /// A fixed port, so that http://localhost:port (a shop's origin, for the cross-origin test) can be allowed
    /// before the service starts; the API itself is called at http://127.0.0.1:port. Both are loopback, so
    /// Chromium's local network access rules do not get in the way.
    /// </summary>
    private readonly int port = Inventory.Api.Local.DynamoDbLocal.FreePort();

    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public string ShopOrigin => $"http://localhost:{port}";

    protected override IEnumerable<string> ExtraArgs =>
        [$"--urls=http://127.0.0.1:{port}", $"--Cors:AllowedOrigins:1={ShopOrigin}", "--Alerts:PollIntervalSeconds=0.2"];

    public override async Task InitializeAsync()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "ui", "admin-panel.html")),
            "The front end is not built: run `make web` (make test does) before the browser tests.");
        await base.InitializeAsync();
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            // Without the networking flags Chromium keeps trying to reach Google, which this machine refuses.
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>A fresh browser context (its own session storage, like a new tab of a new window) and a page in it.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 860 } });
        return await context.NewPageAsync();
    }

    public static string DemoUrl(string productId) =>
        $"/demo?product={Uri.EscapeDataString(productId)}&read_key={ReadKey}&reserve_key={ReserveKey}";

    /// <summary>Saves a screenshot for the docs when SCREENSHOTS_DIR is set (make screenshots); otherwise nothing.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("SCREENSHOTS_DIR") is { Length: > 0 } directory)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name), FullPage = true });
        }
    }
}
