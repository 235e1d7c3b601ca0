using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inventory.Tests.Browser;

/// <summary>
/// The admin panel's stock import in headless Chromium against the real service: choose a file, read the dry run's
/// table with its errors, apply with a progress bar across several requests, read the summary.
/// </summary>
public class ImportPanelTests(BrowserService service) : IClassFixture<BrowserService>
{
    /// <summary>
    /// Products with a row in "main" of 10 units, written straight into the tables: a file of more lines than one
    /// request carries needs hundreds of rows, and creating them through the API would be most of the test.
    /// </summary>
    private async Task<List<string>> SeedAsync(string prefix, int count)
    {
        var dynamo = service.Get<IAmazonDynamoDB>();
        var storage = service.Get<IOptions<StorageOptions>>().Value;
        var rows = service.Get<StockRows>();
        var now = DateTimeOffset.UtcNow;
        var by = new Actor("test-seed", ActsForAnyone: true);
        var skus = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D4}").ToList();
        foreach (var (table, items) in new[]
        {
            (storage.ProductsTable, skus.Select(s => ProductStore.ProductItem(new Product(s, "Imported " + s, null, 5m, null, null, now, now), 5)).ToList()),
            (storage.InventoryTable, skus.Select(s => rows.Create(s, "main", 10, 5, null, now, by, out _).Put.Item).ToList()),
        })
        {
            foreach (var chunk in items.Chunk(25))
            {
                var pending = chunk.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } }).ToList();
                while (pending.Count > 0)
                {
                    var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [table] = pending } });
                    pending = response.UnprocessedItems?.GetValueOrDefault(table) ?? [];
                }
            }
        }

        return skus;
    }

    [Fact]
    public async Task An_operator_dry_runs_a_file_sees_its_errors_applies_it_with_progress_and_reads_the_summary()
    {
        var prefix = "imp" + Guid.NewGuid().ToString("N")[..6];
        var skus = await SeedAsync(prefix, 520);
        var held = await service.CreateProductAsync(stock: 10);
        using (var platform = service.Api(TestService.ReserveKey))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, (await platform.HoldAsync(held, 6, "cart-panel")).Status);
        }

        // What a spreadsheet saves: a byte order mark, CRLF, a quoted reason with a comma, a blank line, and mistakes.
        var csv = new StringBuilder("\uFEFFproduct_id,warehouse_id,stock,adjust,reason,threshold\r\n");
        csv.Append($"{skus[0]},main,,+5,\"PO-7, pallet 2\",\r\n");
        csv.Append("no-such-product,main,3,,,\r\n");
        csv.Append($"{skus[1]},main,twelve,,,\r\n");
        csv.Append("\r\n");
        csv.Append($"{held},main,2,,,\r\n");
        foreach (var sku in skus.Skip(2))
        {
            csv.Append($"{sku},main,25,,stock take,\r\n");
        }

        var page = await service.NewPageAsync();
        await page.GotoAsync("/admin");
        await page.FillAsync("#key", TestService.AdminKey);
        await page.ClickAsync("#login-form button");
        await Expect(page.Locator("#import-form")).ToBeVisibleAsync();
        await page.SetInputFilesAsync("#import-file", new FilePayload { Name = "stock-take.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv.ToString()) });
        await page.ClickAsync("#import-dry-run");

        // The dry run: errors first, each with its line number (the blank line 5 counts) and a sentence.
        await Expect(page.Locator("#import-summary")).ToContainTextAsync("Dry run (nothing was changed): 518 would be set, 1 would be adjusted, 0 unchanged, 3 with errors.");
        var errors = page.Locator("#import-results tbody tr.ERROR");
        await Expect(errors).ToHaveCountAsync(3);
        await Expect(errors.Nth(0)).ToContainTextAsync("3no-such-productmainerror");
        await Expect(errors.Nth(0).Locator("td.message")).ToHaveTextAsync("There is no product \"no-such-product\".");
        await Expect(errors.Nth(1).Locator("td.message")).ToContainTextAsync("stock \"twelve\" is not a whole number");
        await Expect(errors.Nth(2)).ToContainTextAsync("6" + held);
        await Expect(errors.Nth(2).Locator("td.message")).ToContainTextAsync("below the 6 units held");
        await Expect(page.Locator("#import-results tbody tr[data-line='2'] td").Nth(4)).ToHaveTextAsync("by +5: 10 → 15");
        await Expect(page.Locator("#import-summary")).ToContainTextAsync("unknown product: 1 line (line 3)");
        await Expect(page.Locator("#import-apply")).ToBeEnabledAsync();
        Assert.Equal(10, (await service.Get<InventoryStore>().GetRowAsync(skus[0], "main", CancellationToken.None))!.StockCount);
        await BrowserService.ScreenshotAsync(page, "admin-panel-import-dry-run.png");

        // Apply: two requests (500 lines each at most); the progress bar shows the first one done before the second.
        await page.EvaluateAsync("""
            () => {
              window.progressSeen = [];
              const bar = document.querySelector('#import-progress');
              new MutationObserver(() => window.progressSeen.push([bar.value, bar.max])).observe(bar, { attributes: true });
            }
            """);
        await page.ClickAsync("#import-apply");
        await Expect(page.Locator("#import-summary")).ToContainTextAsync("Import finished: 519 applied, 0 unchanged, 3 refused.", new() { Timeout = 60_000 });
        await Expect(page.Locator("#import-progress-text")).ToHaveTextAsync("Applied 522 lines.");
        var seen = await page.EvaluateAsync<double[][]>("() => window.progressSeen");
        Assert.Contains(seen, p => p[0] == 500 && p[1] == 522);
        await Expect(page.Locator("#import-summary")).ToContainTextAsync("stock below the units held in carts: 1 line (line 6)");
        await Expect(page.Locator("#import-results tbody tr[data-line='2'] td").Nth(4)).ToHaveTextAsync("by +5: 10 → 15");
        await Expect(page.Locator("#import-results tbody tr[data-line='7'] td").Nth(4)).ToHaveTextAsync("stock 10 → 25");
        await BrowserService.ScreenshotAsync(page, "admin-panel-import-applied.png");

        var store = service.Get<InventoryStore>();
        Assert.Equal(15, (await store.GetRowAsync(skus[0], "main", CancellationToken.None))!.StockCount);
        Assert.Equal(25, (await store.GetRowAsync(skus[^1], "main", CancellationToken.None))!.StockCount);
        Assert.Equal(10, (await store.GetRowAsync(held, "main", CancellationToken.None))!.StockCount);

        // The same file again changes nothing: every line was applied by this import already.
        await page.ClickAsync("#import-apply");
        await Expect(page.Locator("#import-summary")).ToContainTextAsync("Import finished: 0 applied, 519 unchanged, 3 refused.", new() { Timeout = 60_000 });
        Assert.Equal(15, (await store.GetRowAsync(skus[0], "main", CancellationToken.None))!.StockCount);
    }

    [Fact]
    public async Task A_file_without_the_import_columns_is_refused_before_anything_is_sent()
    {
        var page = await service.NewPageAsync();
        await page.GotoAsync("/admin");
        await page.FillAsync("#key", TestService.AdminKey);
        await page.ClickAsync("#login-form button");
        await page.SetInputFilesAsync("#import-file", new FilePayload { Name = "wrong.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes("sku,qty\r\nx,1\r\n") });
        await page.ClickAsync("#import-dry-run");
        await Expect(page.Locator("#import-message")).ToContainTextAsync("wrong.csv cannot be imported: Unknown columns “sku”, “qty”.");
        await Expect(page.Locator("#import-apply")).ToBeDisabledAsync();
        await Expect(page.Locator("#import-template")).ToHaveAttributeAsync("download", "stock-import-template.csv");
    }
}
