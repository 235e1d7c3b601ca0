using System.Net.Http.Json;
using Inventory.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inventory.Tests.Browser;

/// <summary>Incoming units and transfers in the admin panel, and the restock date on the product page, in headless Chromium.</summary>
public class StockMovesPanelTests(BrowserService service) : IClassFixture<BrowserService>
{
    private static readonly string Soon = DateTime.UtcNow.AddDays(5).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly string Later = DateTime.UtcNow.AddDays(20).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static ILocator Card(IPage page, string warehouse) => page.Locator($"#warehouses .row-card[data-warehouse={warehouse}]");

    private async Task ShipAsync(string shipmentId, string warehouse, string sku, long expected, string date)
    {
        using var admin = service.Client();
        (await admin.PostAsJsonAsync("/shipments", new
        {
            shipment_id = shipmentId, supplier_reference = "PO-" + shipmentId, warehouse_id = warehouse,
            lines = new[] { new { product_id = sku, expected_quantity = expected, expected_date = date } },
        })).EnsureSuccessStatusCode();
    }

    private async Task<IPage> ProductPageAsync(string sku)
    {
        var page = await service.NewPageAsync();
        await page.GotoAsync("/admin");
        await page.FillAsync("#key", TestService.AdminKey);
        await page.ClickAsync("#login-form button");
        await page.FillAsync("#q-product", sku);
        await page.ClickAsync("#search button[type=submit]");
        await page.ClickAsync($"#rows tbody tr[data-product='{sku}']");
        await Expect(page.Locator("#detail-title")).ToHaveTextAsync(sku);
        await Expect(page.Locator($"#warehouses .row-card[data-product='{sku}']").First).ToBeVisibleAsync();
        return page;
    }

    [Fact]
    public async Task Each_warehouse_card_shows_its_incoming_units_and_the_next_expected_date()
    {
        var sku = await TransferTestsSupport.TwoWarehousesAsync(service, main: 12);
        await ShipAsync("ui-po-" + Guid.NewGuid().ToString("N")[..6], "east", sku, 25, Later);
        await ShipAsync("ui-po-" + Guid.NewGuid().ToString("N")[..6], "east", sku, 5, Soon);

        var page = await ProductPageAsync(sku);

        var soon = await page.EvaluateAsync<string>($"(() => {{ const [y, m, d] = '{Soon}'.split('-').map(Number); return new Date(y, m - 1, d).toLocaleDateString(); }})()");
        await Expect(Card(page, "east").Locator(".incoming")).ToHaveTextAsync($"30 units incoming, next expected {soon}");
        await Expect(Card(page, "main").Locator(".incoming")).ToHaveTextAsync("Nothing incoming");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_transfer_form_moves_available_units_and_explains_a_refusal_in_words()
    {
        var sku = await TransferTestsSupport.TwoWarehousesAsync(service, main: 40);
        using (var platform = service.Client(TestService.ReserveKey))
        {
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "cart-1", warehouse_id = "main" })).EnsureSuccessStatusCode();
        }

        await ShipAsync("ui-po-" + Guid.NewGuid().ToString("N")[..6], "main", sku, 60, Soon);

        var page = await ProductPageAsync(sku);
        var form = page.Locator("#transfer");
        await Expect(form.Locator("select[name=from] option")).ToHaveTextAsync(["east (0 available)", "main (38 available)"]);

        // Held units do not move, and the panel says so with the numbers.
        await form.Locator("select[name=from]").SelectOptionAsync("main");
        await form.Locator("select[name=to]").SelectOptionAsync("east");
        await form.Locator("input[name=quantity]").FillAsync("39");
        await form.Locator("button").ClickAsync();
        await Expect(page.Locator("#transfer-message")).ToHaveTextAsync(
            "Only 38 units available in warehouse main (2 units more are held in carts and cannot be moved) — 39 were asked for. Nothing was moved.");
        await Expect(page.Locator("#transfer-message")).ToBeFocusedAsync();

        await form.Locator("select[name=to]").SelectOptionAsync("main");
        await form.Locator("button").ClickAsync();
        await Expect(page.Locator("#transfer-message")).ToHaveTextAsync("Choose two different warehouses: units move from one to the other.");

        await form.Locator("select[name=to]").SelectOptionAsync("east");
        await form.Locator("input[name=quantity]").FillAsync("15");
        await form.Locator("input[name=reason]").FillAsync("weekend market");
        await form.Locator("button").ClickAsync();
        await Expect(page.Locator("#transfer-message")).ToHaveTextAsync("Moved 15 units from main to east. main now has 23 available, east 15.");
        await Expect(Card(page, "east").Locator(".counts")).ToContainTextAsync("15 in stock · 0 held · 15 available");
        await Expect(Card(page, "main").Locator(".counts")).ToContainTextAsync("25 in stock · 2 held · 23 available");
        await Expect(form.Locator("select[name=from] option")).ToHaveTextAsync(["east (15 available)", "main (23 available)"]);

        // Both rows' history says where the units went.
        await page.Locator("#history-kind").SelectOptionAsync("TRANSFER");
        await Expect(page.Locator("#history tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#history tbody tr[data-kind=TRANSFER] td.reason")).ToHaveTextAsync(["from main: weekend market", "to east: weekend market"], new() { Timeout = 15_000 });
        await BrowserService.ScreenshotAsync(page, "admin-panel-transfer.png");
        Assert.Equal(40, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
        await service.AssertHistoryAsync([sku]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_product_page_says_when_a_sold_out_product_is_back_when_a_shipment_is_expected()
    {
        var sku = await service.CreateProductAsync(stock: 0);
        var page = await service.NewPageAsync();
        await page.GotoAsync(BrowserService.DemoUrl(sku));
        await Expect(page.Locator("inventory-status [part=text]")).ToHaveTextAsync("Out of stock");

        await ShipAsync("ui-po-" + Guid.NewGuid().ToString("N")[..6], "main", sku, 20, Soon);
        await page.EvaluateAsync("window.dispatchEvent(new Event('focus'))");
        await Expect(page.Locator("inventory-status [part=text]")).ToContainTextAsync("Out of stock. Back in stock around ");
        await Expect(page.Locator("#add")).ToBeDisabledAsync();
        await page.Context.CloseAsync();
    }
}

/// <summary>Shared set-up with <see cref="Api.TransferTests"/>.</summary>
internal static class TransferTestsSupport
{
    public static Task<string> TwoWarehousesAsync(TestService service, long main, long east = 0) => Api.TransferTests.TwoWarehousesAsync(service, main, east);
}
