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
    public async Task The_history_reads_a_receipt_and_filters_by_warehouse_kind_and_time_on_a_1280_pixel_screen()
    {
        var sku = await TransferTestsSupport.TwoWarehousesAsync(service, main: 30, east: 4);
        var shipment = "ui-po-" + Guid.NewGuid().ToString("N")[..6];
        await ShipAsync(shipment, "east", sku, 12, Soon);
        using (var admin = service.Client())
        {
            (await admin.PostAsJsonAsync($"/shipments/{shipment}/receipts", new { receipt_id = "pallet-1", lines = new[] { new { product_id = sku, quantity = 7 } } })).EnsureSuccessStatusCode();
            using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { warehouse_id = "main", delta = -2, reason = "two mugs found broken on the lower shelf during the weekly count of aisle four" }),
            };
            adjust.Headers.Add("Idempotency-Key", "count-2026-week-48-aisle-4-lower-shelf");
            (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();
        }

        using var staff = service.Api();
        var entries = await Eventually.ValueAsync(() => staff.HistoryAsync(sku), e => e.Count >= 5, "the rows' creation, stock, receipt and adjustment are in the history");
        var page = await ProductPageAsync(sku);
        await page.SetViewportSizeAsync(1280, 900);
        var rows = page.Locator("#history tbody tr");
        await Expect(rows).ToHaveCountAsync(entries.Count);

        var receipt = page.Locator("#history tbody tr[data-kind=RECEIPT]");
        await Expect(receipt).ToContainTextAsync("receipt");
        await Expect(receipt).ToContainTextAsync("4 → 11");
        await Expect(receipt.Locator("td.reason")).ToHaveTextAsync($"shipment {shipment} (PO-{shipment})");
        await Expect(receipt.Locator("td.reference")).ToHaveTextAsync($"{shipment}/pallet-1");

        // At 1280 px every table shows all its columns: long reasons and references wrap instead of pushing them out.
        await Expect(page.Locator("#history tbody tr[data-kind=ADJUSTMENT] td.reason")).ToContainTextAsync("weekly count");
        Assert.Empty(await page.EvaluateAsync<string[]>(
            "[...document.querySelectorAll('.scroll')].filter((box) => box.scrollWidth > box.clientWidth).map((box) => `${box.firstElementChild.id}: ${box.scrollWidth} > ${box.clientWidth}`)"));
        await BrowserService.ScreenshotAsync(page, "admin-panel-history.png");

        await page.Locator("#history-warehouse").SelectOptionAsync("east");
        await Expect(rows).ToHaveCountAsync(entries.Count(e => e.WarehouseId == "east"));
        await Expect(page.Locator("#history tbody tr td:nth-child(2)")).ToHaveTextAsync(entries.Where(e => e.WarehouseId == "east").Select(_ => "east").ToArray());
        await page.Locator("#history-kind").SelectOptionAsync("RECEIPT");
        await Expect(rows).ToHaveCountAsync(1);
        await page.Locator("#history-warehouse").SelectOptionAsync("main");
        await Expect(page.Locator("#history-state")).ToHaveTextAsync("No changes to show.");

        // A time range: everything so far is before tomorrow, nothing after it; a range the wrong way round is explained.
        await page.Locator("#history-kind").SelectOptionAsync("");
        await page.Locator("#history-warehouse").SelectOptionAsync("");
        var tomorrow = DateTime.Now.AddDays(1).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture);
        await page.Locator("#history-to").FillAsync(tomorrow);
        await Expect(rows).ToHaveCountAsync(entries.Count);
        await page.Locator("#history-from").FillAsync(tomorrow);
        await Expect(page.Locator("#history-state")).ToHaveTextAsync("No changes to show.");
        await page.Locator("#history-to").FillAsync(DateTime.Now.ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#history-state")).ToContainTextAsync("The “From” time is after the “To” time");
        await Expect(rows).ToHaveCountAsync(0);
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
