using System.Net.Http.Json;
using Inventory.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inventory.Tests.Browser;

/// <summary>The demo product page in headless Chromium against the real service: what a shopper sees and does.</summary>
public class StorefrontTests(BrowserService service) : IClassFixture<BrowserService>
{
    private static ILocator StockText(IPage page) => page.Locator("inventory-status [part=text]");

    [Fact]
    public async Task The_product_page_shows_in_stock_low_stock_and_out_of_stock_from_available_units()
    {
        var plenty = await service.CreateProductAsync(stock: 50, threshold: 5);
        var few = await service.CreateProductAsync(stock: 8, threshold: 5);
        var none = await service.CreateProductAsync(stock: 2, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        // Held units are not available: 8 in stock with 5 in carts is "only 3 left"; 2 with 2 held is sold out.
        (await platform.PostAsJsonAsync($"/inventory/{few}/reserve", new { quantity = 5, reservation_id = "other-cart" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{none}/reserve", new { quantity = 2, reservation_id = "other-cart" })).EnsureSuccessStatusCode();

        var page = await service.NewPageAsync();
        await page.GotoAsync(BrowserService.DemoUrl(plenty));
        await Expect(StockText(page)).ToHaveTextAsync("In stock");
        await Expect(page.Locator("#add")).ToBeEnabledAsync();
        await Expect(page.Locator("inventory-status [role=status]")).ToHaveAttributeAsync("aria-live", "polite");

        await page.GotoAsync(BrowserService.DemoUrl(few));
        await Expect(StockText(page)).ToHaveTextAsync("Low stock: only 3 left");
        await Expect(page.Locator("#add")).ToBeEnabledAsync();
        await BrowserService.ScreenshotAsync(page, "demo-page.png");

        await page.GotoAsync(BrowserService.DemoUrl(none));
        await Expect(StockText(page)).ToHaveTextAsync("Out of stock");
        await Expect(page.Locator("#add")).ToBeDisabledAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Add_to_cart_reserves_and_the_count_drops()
    {
        var sku = await service.CreateProductAsync(stock: 4, threshold: 5);
        var page = await service.NewPageAsync();
        await page.GotoAsync(BrowserService.DemoUrl(sku));
        await Expect(StockText(page)).ToHaveTextAsync("Low stock: only 4 left");

        await page.FillAsync("#quantity", "3");
        await page.ClickAsync("#add");
        await Expect(page.Locator("#cart-message")).ToContainTextAsync("Added to cart");
        await Expect(StockText(page)).ToHaveTextAsync("Low stock: only 1 left");

        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(1, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal(3, inventory.GetProperty("reserved_count").GetInt64());

        // Asking for more than is left is refused with the real number, and nothing more is held.
        await page.FillAsync("#quantity", "2");
        await page.ClickAsync("#add");
        await Expect(page.Locator("#cart-message")).ToHaveTextAsync("Sorry, only 1 left.");
        Assert.Equal(3, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());

        await page.FillAsync("#quantity", "1");
        await page.ClickAsync("#add");
        await Expect(StockText(page)).ToHaveTextAsync("Out of stock");
        await Expect(page.Locator("#add")).ToBeDisabledAsync();
        await service.AssertInvariantsAsync(sku);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_api_being_down_shows_stock_status_unavailable_and_a_disabled_button()
    {
        var sku = await service.CreateProductAsync(stock: 30, threshold: 5);
        var page = await service.NewPageAsync();
        await page.GotoAsync(BrowserService.DemoUrl(sku));
        await Expect(StockText(page)).ToHaveTextAsync("In stock");
        await Expect(page.Locator("#add")).ToBeEnabledAsync();

        // From now on every API call fails as if the service were unreachable; the page itself is already loaded.
        await page.RouteAsync("**/inventory/**", route => route.AbortAsync("connectionrefused"));
        await page.EvaluateAsync("window.dispatchEvent(new Event('focus'))"); // the shopper comes back to the tab
        await Expect(StockText(page)).ToHaveTextAsync("Stock status unavailable");
        await Expect(page.Locator("#add")).ToBeDisabledAsync();

        // And it recovers by itself when the service is back.
        await page.UnrouteAllAsync();
        await page.EvaluateAsync("window.dispatchEvent(new Event('focus'))");
        await Expect(StockText(page)).ToHaveTextAsync("In stock");
        await Expect(page.Locator("#add")).ToBeEnabledAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_shop_on_another_origin_can_embed_the_widget_with_one_script_tag()
    {
        var sku = await service.CreateProductAsync(stock: 2, threshold: 5);
        var api = service.BaseAddress.ToString().TrimEnd('/');
        var page = await service.NewPageAsync();
        var refused = new List<string>();
        page.Console += (_, message) => refused.Add(message.Text);


        // The example page comes from the shop's origin (localhost); the API is 127.0.0.1: another origin, so the
        // GET with x-api-key needs a CORS preflight. Without the right headers this would say "unavailable".
        await page.GotoAsync($"{service.ShopOrigin}/ui/embed-example.html?product={sku}&api={Uri.EscapeDataString(api)}&read_key={TestService.ReadKey}");
        await Expect(StockText(page)).ToHaveTextAsync("Low stock: only 2 left");
        await Expect(page.Locator("#buy")).ToBeEnabledAsync();
        Assert.DoesNotContain(refused, text => text.Contains("CORS", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }
}
