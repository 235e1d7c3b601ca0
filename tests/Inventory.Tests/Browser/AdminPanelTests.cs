using System.Net.Http.Json;
using Inventory.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inventory.Tests.Browser;

/// <summary>The admin panel in headless Chromium against the real service: what shop staff see and do.</summary>
public class AdminPanelTests(BrowserService service) : IClassFixture<BrowserService>
{
    private static async Task<IPage> SignedInAsync(BrowserService service, string key = TestService.AdminKey)
    {
        var page = await service.NewPageAsync();
        await page.GotoAsync("/admin");
        await page.FillAsync("#key", key);
        await page.ClickAsync("#login-form button");
        return page;
    }

    private static async Task OpenProductAsync(IPage page, string sku)
    {
        await page.FillAsync("#q-product", sku);
        await page.ClickAsync("#search button[type=submit]");
        await page.ClickAsync($"#rows tbody tr[data-product='{sku}']");
        await Expect(page.Locator("#detail-title")).ToHaveTextAsync(sku);
        // The title changes at once, the cards when the product's rows arrive: a card read or edited before then
        // would be the previous product's, or carry a version fetched after the test moved on.
        await Expect(page.Locator($"#warehouses .row-card[data-product='{sku}']").First).ToBeVisibleAsync();
    }

    private static ILocator Card(IPage page) => page.Locator("#warehouses .row-card[data-warehouse=main]");

    [Fact]
    public async Task A_wrong_key_or_a_read_key_is_told_so_and_sees_nothing()
    {
        // The page that holds an admin key runs only its own script and cannot be framed by another site.
        using var anonymous = service.Client(apiKey: null);
        var html = await anonymous.GetAsync("/ui/admin-panel.html");
        var policy = string.Join(";", html.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        // It may send the key to this service only (it was "'self' http: https:", any host).
        Assert.Contains("connect-src 'self';", policy, StringComparison.Ordinal);

        var unknown = await SignedInAsync(service, "not-a-key");
        await Expect(unknown.Locator("#login-error")).ToHaveTextAsync("This key is not known to the service.");
        await Expect(unknown.Locator("#app")).ToBeHiddenAsync();

        var reader = await SignedInAsync(service, TestService.ReadKey);
        await Expect(reader.Locator("#login-error")).ToContainTextAsync("cannot administer");
        await Expect(reader.Locator("#app")).ToBeHiddenAsync();
        Assert.Null(await reader.EvaluateAsync<string?>("sessionStorage.getItem('inventory-admin-key')"));
    }

    [Fact]
    public async Task Admins_search_by_category_and_status_page_through_results_and_see_empty_results_plainly()
    {
        var category = "cat-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 23; i++)
        {
            await service.CreateProductAsync(stock: i == 0 ? 0 : 40, threshold: 5, category: category);
        }

        var page = await SignedInAsync(service);
        await page.FillAsync("#q-category", category);
        await page.ClickAsync("#search button[type=submit]");
        await Expect(page.Locator("#rows tbody tr")).ToHaveCountAsync(20);
        await page.ClickAsync("#next");
        await Expect(page.Locator("#rows tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Locator("#next")).ToBeDisabledAsync();
        await page.ClickAsync("#prev");
        await Expect(page.Locator("#rows tbody tr")).ToHaveCountAsync(20);

        await page.FillAsync("#q-category", "");
        await page.SelectOptionAsync("#q-status", "OUT_OF_STOCK");
        await page.ClickAsync("#search button[type=submit]");
        await Expect(page.Locator("#list-state")).Not.ToHaveTextAsync("Loading…");
        Assert.True(await page.Locator("#rows tbody tr").CountAsync() >= 1);
        foreach (var status in await page.Locator("#rows tbody .badge").AllTextContentsAsync())
        {
            Assert.Equal("out of stock", status);
        }

        await page.SelectOptionAsync("#q-status", "");
        await page.FillAsync("#q-category", "no-such-category");
        await page.ClickAsync("#search button[type=submit]");
        await Expect(page.Locator("#list-state")).ToHaveTextAsync("No inventory matches these filters.");
        await page.FillAsync("#q-product", "no-such-product");
        await page.ClickAsync("#search button[type=submit]");
        await Expect(page.Locator("#list-state")).ToHaveTextAsync("No product with id “no-such-product”.");
    }

    [Fact]
    public async Task An_admin_edit_and_an_adjustment_show_up_on_the_product_page()
    {
        var sku = await service.CreateProductAsync(stock: 40, threshold: 5, category: "apparel");
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "cart-9" })).EnsureSuccessStatusCode();

        var shop = await service.NewPageAsync();
        await shop.GotoAsync(BrowserService.DemoUrl(sku));
        await Expect(shop.Locator("inventory-status [part=text]")).ToHaveTextAsync("In stock");

        var admin = await SignedInAsync(service);
        await OpenProductAsync(admin, sku);
        await Expect(admin.Locator("#reservations tbody tr")).ToHaveCountAsync(1);
        await Expect(admin.Locator("#reservations tbody tr")).ToContainTextAsync("cart-9");
        await Expect(Card(admin).Locator(".counts")).ToContainTextAsync("40 in stock · 2 held · 38 available");

        await Card(admin).Locator("input[name=stock]").FillAsync("6");
        await Card(admin).Locator("form.edit button").ClickAsync();
        await Expect(Card(admin).Locator(".message")).ToHaveTextAsync("Saved.");

        // The shopper's tab regains focus and shows the new truth: 6 in stock, 2 in carts.
        await shop.EvaluateAsync("window.dispatchEvent(new Event('focus'))");
        await Expect(shop.Locator("inventory-status [part=text]")).ToHaveTextAsync("Low stock: only 4 left");

        await Card(admin).Locator("input[name=delta]").FillAsync("-4");
        await Card(admin).Locator("input[name=reason]").FillAsync("damaged in storage");
        await Card(admin).Locator("form.adjust button").ClickAsync();
        await Expect(Card(admin).Locator(".message")).ToHaveTextAsync("Adjusted by -4: damaged in storage.");
        await shop.EvaluateAsync("window.dispatchEvent(new Event('focus'))");
        await Expect(shop.Locator("inventory-status [part=text]")).ToHaveTextAsync("Out of stock");
        await Expect(shop.Locator("#add")).ToBeDisabledAsync();

        // Taking away units that are held in carts is refused, and the panel says why.
        await Card(admin).Locator("input[name=delta]").FillAsync("-1");
        await Card(admin).Locator("input[name=reason]").FillAsync("recount");
        await Card(admin).Locator("form.adjust button").ClickAsync();
        await Expect(Card(admin).Locator(".message")).ToContainTextAsync("Only 0 units are free to remove");
        Assert.Equal(2, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task The_product_page_shows_its_stock_history_with_who_changed_what_and_why()
    {
        var sku = await service.CreateProductAsync(stock: 40, threshold: 5);
        using (var admin = service.Client())
        {
            using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = -3, reason = "water damage in aisle 4" }) };
            adjust.Headers.Add("Idempotency-Key", "adj-aisle-4");
            (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();
        }

        using var platform = service.Api(TestService.ReserveKey);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(sku, 2, "cart-7")).Status);
        using var staff = service.Api();
        await Eventually.TrueAsync(async () => (await staff.HistoryAsync(sku)).Count == 4, "created, stocked, adjusted and held are in the history");

        var page = await SignedInAsync(service);
        await OpenProductAsync(page, sku);
        var rows = page.Locator("#history tbody tr");
        await Expect(rows).ToHaveCountAsync(4);
        await Expect(rows.Nth(0)).ToContainTextAsync("hold");
        await Expect(rows.Nth(0)).ToContainTextAsync("platform");
        await Expect(rows.Nth(0)).ToContainTextAsync("cart-7");
        var adjustment = page.Locator("#history tbody tr[data-kind=ADJUSTMENT]");
        await Expect(adjustment.Locator(".reason")).ToHaveTextAsync("water damage in aisle 4");
        await Expect(adjustment).ToContainTextAsync("40 → 37");
        await Expect(adjustment).ToContainTextAsync("admin");
        await Expect(adjustment).ToContainTextAsync("adj-aisle-4");

        await page.SelectOptionAsync("#history-kind", "ADJUSTMENT");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Nth(0).Locator(".reason")).ToHaveTextAsync("water damage in aisle 4");

        // Every other kind of movement, each read back in the panel: a release, a sale, an expiry by the sweep and a
        // threshold change.
        Assert.Equal(System.Net.HttpStatusCode.NoContent, await platform.ReleaseAsync(sku, "cart-7"));
        Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(sku, 1, "cart-8")).Status);
        (await platform.Http.PostAsJsonAsync("/orders/order-8/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "cart-8" } } })).EnsureSuccessStatusCode();
        Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(sku, 1, "cart-9", ttlSeconds: 1)).Status);
        using (var admin = service.Client())
        {
            var row = await service.GetInventoryAsync(sku);
            (await admin.PutAsJsonAsync($"/inventory/{sku}", new { threshold_level = 8, expected_version = row.GetProperty("warehouses")[0].GetProperty("version").GetInt64() })).EnsureSuccessStatusCode();
        }

        await Eventually.TrueAsync(async () => (await staff.HistoryAsync(sku)).Any(e => e.Kind.ToString() == "EXPIRY"), "the sweep expired cart-9");
        foreach (var (kind, reference, text) in new[] { ("RELEASE", "cart-7", "release"), ("SALE", "order-8", "sale"), ("EXPIRY", "cart-9", "expiry"), ("THRESHOLD", "", "threshold"), ("SET", "", "0 → 40"), ("CREATE", "", "create") })
        {
            await page.SelectOptionAsync("#history-kind", kind);
            await Expect(rows).ToHaveCountAsync(1);
            await Expect(rows.Nth(0)).ToContainTextAsync(text);
            await Expect(rows.Nth(0)).ToContainTextAsync(reference);
        }
    }

    [Fact]
    public async Task Two_admin_tabs_editing_the_same_row_see_a_conflict_with_the_fresh_values()
    {
        var sku = await service.CreateProductAsync(stock: 30, threshold: 5);
        var first = await SignedInAsync(service);
        var second = await SignedInAsync(service);
        await OpenProductAsync(first, sku);
        await OpenProductAsync(second, sku);

        await Card(first).Locator("input[name=stock]").FillAsync("40");
        await Card(first).Locator("form.edit button").ClickAsync();
        await Expect(Card(first).Locator(".message")).ToHaveTextAsync("Saved.");

        // The second tab still holds the old ETag: its save is refused and it is shown what is there now.
        await Card(second).Locator("input[name=stock]").FillAsync("45");
        await Card(second).Locator("form.edit button").ClickAsync();
        var message = Card(second).Locator(".message");
        await Expect(message).ToContainTextAsync("Someone else changed this row");
        await Expect(message).ToContainTextAsync("It now has stock 40 and threshold 5");
        await Expect(message).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bconflict\b"));
        await Expect(Card(second).Locator("input[name=stock]")).ToHaveValueAsync("45");
        Assert.Equal(40, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
        await BrowserService.ScreenshotAsync(second, "admin-panel-conflict.png");

        // Having seen it, the admin saves again on purpose, now against the fresh version.
        await Card(second).Locator("form.edit button").ClickAsync();
        await Expect(message).ToHaveTextAsync("Saved.");
        Assert.Equal(45, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
    }

    [Fact]
    public async Task Search_finds_a_product_by_an_accented_word_prefix_and_opens_it_by_keyboard()
    {
        var word = "crème" + Guid.NewGuid().ToString("N")[..8];
        var sku = "mug-" + Guid.NewGuid().ToString("N")[..8];
        using (var admin = service.Client())
        {
            (await admin.PostAsJsonAsync("/products", new { sku, name = $"Café {word} Mug", price = 12.5m, category = "kitchen" })).EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "main", stock_count = 7, expected_version = 1 })).EnsureSuccessStatusCode();
        }

        var page = await SignedInAsync(service);
        // Upper case, the accent typed and only the start of the word: the service folds both sides.
        await page.FillAsync("#q-find", "CAF " + word[..9].ToUpperInvariant());
        await page.PressAsync("#q-find", "Enter");
        var found = page.Locator("#found tbody tr");
        await Expect(found).ToHaveCountAsync(1);
        await Expect(found.Locator(".name")).ToHaveTextAsync($"Café {word} Mug");
        await Expect(found).ToContainTextAsync(sku);
        await Expect(found).ToContainTextAsync("kitchen");

        await found.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#detail-title")).ToHaveTextAsync(sku);
        await Expect(page.Locator("#detail-name")).ToHaveTextAsync($"Café {word} Mug");
        await Expect(page.Locator("#warehouses .chart svg[role=img]")).ToHaveCountAsync(1);
        await BrowserService.ScreenshotAsync(page, "admin-panel-search.png");

        await page.FillAsync("#q-find", "zz" + Guid.NewGuid().ToString("N")[..10]);
        await page.PressAsync("#q-find", "Enter");
        await Expect(page.Locator("#find-state")).ToContainTextAsync("No product matches");
    }

    [Fact]
    public async Task A_stuck_hold_is_released_after_confirming_and_available_goes_up()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 2);
        using var platform = service.Api(TestService.ReserveKey);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(sku, 3, "stuck-cart")).Status);

        var page = await SignedInAsync(service);
        await OpenProductAsync(page, sku);
        await Expect(Card(page).Locator(".counts")).ToContainTextAsync("10 in stock · 3 held · 7 available");
        var hold = page.Locator("#reservations tbody tr[data-reservation=stuck-cart]");
        await Expect(hold.Locator(".age")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ s$"));

        // Escape closes the question and nothing happens.
        await hold.Locator("button.release").ClickAsync();
        await Expect(page.Locator("#confirm")).ToBeVisibleAsync();
        await Expect(page.Locator("#confirm-text")).ToContainTextAsync("Its 3 units go back on sale");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#confirm")).ToBeHiddenAsync();
        await Expect(Card(page).Locator(".counts")).ToContainTextAsync("3 held · 7 available");

        await hold.Locator("button.release").ClickAsync();
        await page.ClickAsync("#confirm-ok");
        await Expect(page.Locator("#res-message")).ToHaveTextAsync("Released “stuck-cart”: 3 units are back on sale.");
        await Expect(page.Locator("#res-message")).ToBeFocusedAsync();
        await Expect(Card(page).Locator(".counts")).ToContainTextAsync("10 in stock · 0 held · 10 available");
        await Expect(page.Locator("#rows tbody tr[data-product='" + sku + "'] td").Nth(5)).ToHaveTextAsync("10");
        await Expect(page.Locator("#reservations tbody tr")).ToHaveCountAsync(0);
        Assert.Equal(10, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task A_hold_is_extended_from_the_panel_and_a_refused_extension_says_why_in_words()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 2);
        using var platform = service.Api(TestService.ReserveKey);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(sku, 1, "slow-cart")).Status);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(sku, 1, "gone-cart")).Status);
        using var reader = service.Client(TestService.ReserveKey);
        var before = DateTimeOffset.Parse((await TestService.ReadJsonAsync(await reader.GetAsync($"/inventory/{sku}/reserve/slow-cart"))).GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        var page = await SignedInAsync(service);
        await OpenProductAsync(page, sku);
        await page.Locator("#reservations tbody tr[data-reservation=slow-cart] button.extend").ClickAsync();
        await Expect(page.Locator("#res-message")).ToContainTextAsync("“slow-cart” is now held until");
        var after = DateTimeOffset.Parse((await TestService.ReadJsonAsync(await reader.GetAsync($"/inventory/{sku}/reserve/slow-cart"))).GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(after >= before.AddMinutes(14), $"extended from {before} to {after}");

        // The shop sells the other hold while the panel still shows it: extending it is refused, in words.
        (await reader.PostAsJsonAsync($"/orders/order-{sku}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "gone-cart" } } })).EnsureSuccessStatusCode();
        await page.Locator("#reservations tbody tr[data-reservation=gone-cart] button.extend").ClickAsync();
        await Expect(page.Locator("#res-message")).ToHaveTextAsync("This hold is already fulfilled, so it cannot be changed any more.");
        await Expect(page.Locator("#res-message")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\berror\b"));
        await Expect(page.Locator("#res-message")).ToBeFocusedAsync();
        await BrowserService.ScreenshotAsync(page, "admin-panel-holds.png");
    }

    [Fact]
    public async Task The_panel_fits_a_tablet()
    {
        var sku = await service.CreateProductAsync(stock: 5, threshold: 2);
        var page = await SignedInAsync(service);
        await page.SetViewportSizeAsync(768, 1024);
        await OpenProductAsync(page, sku);
        // Nothing pushes the page sideways: wide tables scroll inside their own box.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await BrowserService.ScreenshotAsync(page, "admin-panel-tablet.png");
    }

    [Fact]
    public async Task An_alert_is_acknowledged_from_the_panel_which_shows_who_and_when_and_filters_it_out()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        var page = await SignedInAsync(service);
        await page.FillAsync("#alert-product", sku);
        await page.PressAsync("#alert-product", "Enter");
        var alert = page.Locator("#alerts li", new() { HasText = sku });
        await Expect(alert).ToHaveCountAsync(1);
        await Expect(alert).ToContainTextAsync("low stock");
        // Only that product's alerts, even with the unfiltered list of the sign-in still on its way.
        await Expect(page.Locator("#alerts li")).ToHaveCountAsync(1);

        await alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(alert.Locator(".ack")).ToContainTextAsync("Acknowledged by admin at ");
        await Expect(alert.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" })).ToHaveCountAsync(0);
        await BrowserService.ScreenshotAsync(page, "admin-panel-alerts.png");
        var stored = (await service.AlertsForAsync(sku))[^1];
        Assert.Equal("admin", stored.GetProperty("acknowledged_by").GetString());

        // Not acknowledged (the default) no longer lists it; acknowledged does, with who and when.
        await page.ClickAsync("#alert-filter button[type=submit]");
        await Expect(page.Locator("#alerts-state")).ToHaveTextAsync("No alerts to show. New ones appear here as they happen.");
        await page.SelectOptionAsync("#alert-ack", "true");
        await Expect(alert.Locator(".ack")).ToContainTextAsync("Acknowledged by admin");
    }

    [Fact]
    public async Task Low_stock_alerts_arrive_live()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        var page = await SignedInAsync(service);
        await Expect(page.Locator("#feed")).ToHaveAttributeAsync("data-status", "live");

        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "big-cart" })).EnsureSuccessStatusCode();

        var alert = page.Locator("#alerts li", new() { HasText = sku }).Filter(new() { HasText = "low stock" });
        await Expect(alert).ToHaveCountAsync(1);
        await Expect(alert).ToContainTextAsync("low stock");
        await Expect(alert).ToContainTextAsync("4 available of 10, threshold 5 (was in stock)");
        await BrowserService.ScreenshotAsync(page, "admin-panel.png");
    }
}
