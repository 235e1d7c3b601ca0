using System.Globalization;
using Inventory.Tests.Api;
using Inventory.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inventory.Tests.Browser;

/// <summary>Days of cover in the admin panel: the "Runs out soonest" list, the warehouse cards, the lead time and the alert.</summary>
public class CoverPanelTests(BrowserService service) : IClassFixture<BrowserService>
{
    [Fact]
    public async Task The_row_that_runs_out_soonest_is_listed_first_opens_by_keyboard_and_shows_its_pace_cover_and_alert()
    {
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        var fast = await service.CreateProductAsync(stock: 100, threshold: 0);
        var slow = await service.CreateProductAsync(stock: 100, threshold: 0);
        await Cover.SetLeadTimeAsync(admin, fast, 10);
        await Cover.SellAsync(platform, fast, 98); // 2 left at 14 a day: 0.14 days of cover
        await Cover.SellAsync(platform, slow, 1);
        await Cover.SettledAsync(service, fast, 2, 98);
        await Cover.SettledAsync(service, slow, 99, 1);

        var page = await service.NewPageAsync();
        await page.GotoAsync("/admin");
        await page.FillAsync("#key", TestService.AdminKey);
        await page.ClickAsync("#login-form button");

        // The index behind the list follows the table a moment later: refresh until the row is there.
        var row = page.Locator($"#cover-rows tbody tr[data-product='{fast}']");
        for (var attempt = 0; attempt < 50 && await row.CountAsync() == 0; attempt++)
        {
            await page.ClickAsync("#cover-refresh");
            await Expect(page.Locator("#cover-state")).Not.ToHaveTextAsync("Loading…");
        }

        await Expect(row).ToContainTextAsync("runs out soon");
        await Expect(row).ToContainTextAsync("0.14 days");
        await Expect(row).ToContainTextAsync("14/day");
        await Expect(row).ToContainTextAsync("10 days");

        // Soonest first: every listed cover is at least the one before it.
        var covers = (await page.Locator("#cover-rows tbody tr td:nth-child(7)").AllTextContentsAsync())
            .Select(t => decimal.Parse(t.Replace("runs out soon", "").Replace("days", "").Replace("day", "").Replace(",", "").Trim(), CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(covers.Order(), covers);

        // Opened with the keyboard, the product's card says how fast it sells and how long it lasts.
        await row.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#detail-title")).ToHaveTextAsync(fast);
        var card = page.Locator($"#warehouses .row-card[data-product='{fast}'][data-warehouse=main]");
        await Expect(card.Locator(".cover-text")).ToContainTextAsync("Selling 14/day (7 d) · 3.5/day (28 d) · 0.14 days of cover · lead time 10 days");
        await Expect(card.Locator(".cover .SOON")).ToBeVisibleAsync();
        await Expect(page.Locator("#lead-time input[name=days]")).ToHaveValueAsync("10");

        // The alert is in the feed in words, with its figures.
        var alert = page.Locator("#alerts li", new() { HasText = fast }).Filter(new() { HasText = "runs out soon" });
        await Expect(alert).ToHaveCountAsync(1);
        await Expect(alert).ToContainTextAsync("0.14 days of cover, lead time 10 days: 2 available, selling 14/day (7 d) and 3.5/day (28 d)");
        await BrowserService.ScreenshotAsync(page, "admin-panel-cover.png");

        // The feed filtered by kind: this product's warning alone, or its status changes alone.
        await page.FillAsync("#alert-product", fast);
        await page.SelectOptionAsync("#alert-type", "RUNS_OUT_SOON");
        await Expect(page.Locator("#alerts li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#alerts li")).ToContainTextAsync("runs out soon");
        await page.SelectOptionAsync("#alert-type", "STATUS_CHANGE");
        await Expect(page.Locator("#alerts li").Filter(new() { HasText = "runs out soon" })).ToHaveCountAsync(0);
        await Expect(page.Locator("#alerts li", new() { HasText = fast }).First).ToBeVisibleAsync();
        await page.SelectOptionAsync("#alert-type", "");

        // Clearing the lead time takes the flag away; a refused value is explained and changes nothing.
        await page.FillAsync("#lead-time input[name=days]", "0");
        await page.ClickAsync("#lead-time button");
        await Expect(page.Locator("#lead-time-message")).ToHaveTextAsync("Lead time cleared: this product raises no runs-out-soon alerts.");
        await Expect(card.Locator(".cover .SOON")).ToBeHiddenAsync();
        await Expect(card.Locator(".cover-text")).ToContainTextAsync("lead time —");

        await page.EvaluateAsync("document.querySelector('#lead-time input[name=days]').removeAttribute('max')");
        await page.FillAsync("#lead-time input[name=days]", "400");
        await page.ClickAsync("#lead-time button");
        await Expect(page.Locator("#lead-time-message")).ToHaveTextAsync("lead time days must be an integer from 0 to 365.");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await TestService.ReadJsonAsync(await admin.GetAsync($"/products/{fast}"))).GetProperty("lead_time_days").ValueKind);
    }
}
