using System.Net;
using System.Net.Http.Json;
using Inventory.Api.Domain;
using Inventory.Api.Features.Imports;
using Inventory.Api.Storage;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// Stock imports through the real service and DynamoDB Local: a dry run names every bad line and writes nothing; an
/// apply writes each line once per import (a second apply of the same file changes nothing); an absolute line does not
/// overwrite a row changed since its dry run unless told to; and an import racing hundreds of holds never oversells.
/// </summary>
public class ImportTests(TestService service) : IClassFixture<TestService>
{
    /// <summary>A line of the file as the panel sends it: its number and its cells as text.</summary>
    public static object Line(int line, string product, string warehouse = "main", string? stock = null, string? adjust = null,
        string? reason = null, string? threshold = null, long? expectedVersion = null) =>
        new { line, product_id = product, warehouse_id = warehouse, stock, adjust, reason, threshold, expected_version = expectedVersion };

    private async Task<ImportLinesResponse> PostAsync(string importId, bool dryRun, IEnumerable<object> lines, bool overwrite = false)
    {
        using var admin = service.Client();
        var query = $"dry_run={(dryRun ? "true" : "false")}" + (overwrite ? "&overwrite=true" : "");
        return (await InventoryClient.ReadAsync<ImportLinesResponse>(
            await admin.PostAsJsonAsync($"/imports/{importId}/lines?{query}", new { lines }))).Ok;
    }

    /// <summary>The apply of a dry run's lines: each absolute line carries the version its dry run saw.</summary>
    private static IEnumerable<object> WithVersions(IEnumerable<(int Line, string Product, string? Stock, string? Adjust, string? Reason, string? Threshold)> lines, ImportLinesResponse dry) =>
        lines.Select(l => Line(l.Line, l.Product, stock: l.Stock, adjust: l.Adjust, reason: l.Reason, threshold: l.Threshold,
            expectedVersion: dry.Lines.Single(r => r.Line == l.Line).Version));

    private async Task<InventoryRow> RowAsync(string sku) => (await service.Get<InventoryStore>().GetRowAsync(sku, "main", CancellationToken.None))!;

    private async Task HoldAsync(string sku, long quantity, string reservationId)
    {
        using var platform = service.Api(TestService.ReserveKey);
        Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, quantity, reservationId)).Status);
    }

    private static ImportLineView At(ImportLinesResponse response, int line) => response.Lines.Single(l => l.Line == line);

    private static void AssertError(ImportLinesResponse response, int line, string code)
    {
        var result = At(response, line);
        Assert.True(result.Outcome == ImportOutcome.ERROR && result.Error?.Code == code,
            $"line {line}: expected ERROR {code}, got {result.Outcome} {result.Error?.Code}: {result.Error?.Message}");
        Assert.False(string.IsNullOrWhiteSpace(result.Error!.Message));
    }

    [Fact]
    public async Task A_dry_run_lists_every_bad_line_with_its_number_and_a_reason_and_changes_nothing()
    {
        var setMe = await service.CreateProductAsync(stock: 10);
        var addMe = await service.CreateProductAsync(stock: 10);
        var held = await service.CreateProductAsync(stock: 10);
        await HoldAsync(held, 3, "cart-held");
        var twice = await service.CreateProductAsync(stock: 10);
        var same = await service.CreateProductAsync(stock: 10, threshold: 5);
        string[] all = [setMe, addMe, held, twice, same];
        var before = await Task.WhenAll(all.Select(RowAsync));

        var dry = await PostAsync("dry-" + Guid.NewGuid().ToString("N")[..8], dryRun: true,
        [
            Line(2, setMe, stock: "20", threshold: "4"),
            Line(3, addMe, adjust: "+5", reason: "received"),
            Line(4, "no-such-product", stock: "1"),
            Line(5, setMe, warehouse: "north", stock: "1"),
            Line(6, addMe, warehouse: "main ", stock: "12a"),
            Line(7, held, stock: "5", adjust: "2", reason: "x"),
            Line(8, held, stock: "2"),
            Line(9, held, warehouse: "main", adjust: "-9", reason: "damaged"),
            Line(10, twice, stock: "5"),
            Line(11, twice, stock: "6"),
            Line(12, same, stock: "10"),
            Line(13, addMe, warehouse: "east", adjust: "-1"),
            Line(14, "", stock: "1"),
            Line(15, same, warehouse: "west", adjust: "1.5", reason: "r"),
            Line(16, same, warehouse: "west", adjust: "-3", reason: "r", threshold: "2"),
            Line(17, same, warehouse: "south"),
        ]);

        Assert.True(dry.DryRun);
        Assert.Equal(ImportOutcome.WOULD_SET, At(dry, 2).Outcome);
        Assert.Equal((10L, 20L, 4L), (At(dry, 2).Before!.StockCount, At(dry, 2).After!.StockCount, At(dry, 2).After!.ThresholdLevel));
        Assert.Equal(before[0].Version, At(dry, 2).Version);
        Assert.Equal(ImportOutcome.WOULD_ADJUST, At(dry, 3).Outcome);
        Assert.Equal((10L, 15L), (At(dry, 3).Before!.StockCount, At(dry, 3).After!.StockCount));
        AssertError(dry, 4, "unknown_product");
        AssertError(dry, 5, "unknown_warehouse");
        AssertError(dry, 6, "not_a_number");
        AssertError(dry, 7, "both_stock_and_adjust");
        // Lines 8 and 9 name the same row: a duplicate, whatever else is wrong with them.
        AssertError(dry, 8, "duplicate_row");
        AssertError(dry, 9, "duplicate_row");
        AssertError(dry, 10, "duplicate_row");
        AssertError(dry, 11, "duplicate_row");
        Assert.Contains("10, 11", At(dry, 11).Error!.Message);
        Assert.Equal(ImportOutcome.UNCHANGED, At(dry, 12).Outcome);
        AssertError(dry, 13, "reason_required");
        AssertError(dry, 14, "missing_product");
        AssertError(dry, 15, "not_a_number");
        AssertError(dry, 16, "threshold_with_adjust");
        AssertError(dry, 17, "no_stock_or_adjust");
        Assert.Equal(new ImportSummaryView(1, 1, 0, 1, 13), dry.Summary);

        // The rules about held units, each on its own row.
        var dry2 = await PostAsync("dry-" + Guid.NewGuid().ToString("N")[..8], dryRun: true,
        [
            Line(2, held, stock: "2"),
            Line(3, twice, adjust: "-11", reason: "damaged"),
        ]);
        AssertError(dry2, 2, "stock_below_held");
        Assert.Contains("3 units held", At(dry2, 2).Error!.Message);
        AssertError(dry2, 3, "adjust_exceeds_available");

        var heldDry = await PostAsync("dry-" + Guid.NewGuid().ToString("N")[..8], dryRun: true, [Line(2, held, adjust: "-9", reason: "damaged")]);
        AssertError(heldDry, 2, "adjust_exceeds_available");
        Assert.Contains("held", At(heldDry, 2).Error!.Message);

        // Nothing moved: not a count, not a version, not a history entry.
        var after = await Task.WhenAll(all.Select(RowAsync));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_request_that_is_not_an_import_is_refused_whole_with_400()
    {
        using var admin = service.Client();
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/imports/x/lines", new { lines = new[] { Line(2, "p", stock: "1") } }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/imports/x/lines?dry_run=true", new { lines = Array.Empty<object>() }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/imports/x/lines?dry_run=true", new { lines = new[] { Line(2, "p", stock: "1"), Line(2, "q", stock: "1") } }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/imports/bad%20id/lines?dry_run=true", new { lines = new[] { Line(2, "p", stock: "1") } }), 400, "validation_failed");
        var tooMany = Enumerable.Range(2, StockImport.MaxLinesPerRequest + 1).Select(i => Line(i, "p", stock: "1")).ToArray();
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/imports/x/lines?dry_run=true", new { lines = tooMany }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsync("/imports/x/lines?dry_run=true", TestService.RawJson("""{"lines":[{"line":2,"product_id":"p","stock":5}]}""")), 400, "invalid_request");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReserveKey).PostAsJsonAsync("/imports/x/lines?dry_run=true", new { lines = new[] { Line(2, "p", stock: "1") } }), 403, "forbidden");
    }

    [Fact]
    public async Task Applying_the_same_file_twice_changes_nothing_the_second_time()
    {
        var a = await service.CreateProductAsync(stock: 10);
        var b = await service.CreateProductAsync(stock: 10);
        var c = await service.CreateProductAsync(stock: 10);
        string[] skus = [a, b, c];
        (int, string, string?, string?, string?, string?)[] file =
        [
            (2, a, "40", null, "recount", "8"),
            (3, b, null, "+7", "received", null),
            (4, c, null, "-2", "damaged", null),
        ];
        var importId = "file-" + Guid.NewGuid().ToString("N");
        var dry = await PostAsync(importId, dryRun: true, file.Select(l => Line(l.Item1, l.Item2, stock: l.Item3, adjust: l.Item4, reason: l.Item5, threshold: l.Item6)));
        Assert.Equal(new ImportSummaryView(1, 2, 0, 0, 0), dry.Summary);

        var first = await PostAsync(importId, dryRun: false, WithVersions(file, dry));
        Assert.False(first.DryRun);
        Assert.Equal(new ImportSummaryView(0, 0, 3, 0, 0), first.Summary);
        var rows = await Task.WhenAll(skus.Select(RowAsync));
        Assert.Equal((40L, 8L), (rows[0].StockCount, rows[0].ThresholdLevel));
        Assert.Equal(17L, rows[1].StockCount);
        Assert.Equal(8L, rows[2].StockCount);

        // Each line is in its row's history once, as a SET or an ADJUSTMENT with the line's reference and reason.
        using var admin = service.Api();
        var histories = await Task.WhenAll(skus.Select((sku, i) => Eventually.ValueAsync(
            () => admin.HistoryAsync(sku), h => h.Count >= 2 && h[0].Reference is not null, $"the history of {sku} shows its import line")));
        Assert.Equal((MoveKind.SET, $"import:{importId}#2", "recount"), (histories[0][0].Kind, histories[0][0].Reference, histories[0][0].Reason));
        Assert.Equal((MoveKind.ADJUSTMENT, $"import:{importId}#3", 7L), (histories[1][0].Kind, histories[1][0].Reference, histories[1][0].Quantity));
        Assert.Equal((MoveKind.ADJUSTMENT, $"import:{importId}#4", -2L), (histories[2][0].Kind, histories[2][0].Reference, histories[2][0].Quantity));

        var second = await PostAsync(importId, dryRun: false, WithVersions(file, dry));
        Assert.Equal(new ImportSummaryView(0, 0, 0, 3, 0), second.Summary);
        Assert.All(second.Lines, l => Assert.Equal("already_applied", l.Error?.Code));

        // Counts, versions and the history stay exactly as the first apply left them.
        Assert.Equal(rows, await Task.WhenAll(skus.Select(RowAsync)));
        await service.AssertInvariantsAsync(skus);
        var again = await Task.WhenAll(skus.Select(sku => admin.HistoryAsync(sku)));
        Assert.Equal(histories.Select(h => h.Count), again.Select(h => h.Count));

        // The same line number with other content under the same import id is not a repeat: it is refused.
        var changed = await PostAsync(importId, dryRun: false, [Line(3, b, adjust: "+8", reason: "received")]);
        Assert.Equal("import_line_reused", At(changed, 3).Error?.Code);
        Assert.Equal(17L, (await RowAsync(b)).StockCount);
    }

    [Fact]
    public async Task An_absolute_line_on_a_row_changed_since_the_dry_run_is_refused_then_applied_with_overwrite()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var importId = "file-" + Guid.NewGuid().ToString("N");
        (int, string, string?, string?, string?, string?)[] file = [(2, sku, "30", null, null, null)];
        var dry = await PostAsync(importId, dryRun: true, [Line(2, sku, stock: "30")]);
        Assert.Equal(ImportOutcome.WOULD_SET, At(dry, 2).Outcome);

        // Someone edits the row between the dry run and the apply.
        using (var admin = service.Client())
        {
            var put = await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "main", stock_count = 12, expected_version = At(dry, 2).Version });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var refused = await PostAsync(importId, dryRun: false, WithVersions(file, dry));
        AssertError(refused, 2, "changed_since_dry_run");
        Assert.Contains("overwrite", At(refused, 2).Error!.Message);
        Assert.Equal(12L, (await RowAsync(sku)).StockCount);

        // Without a dry run's version an absolute line is not applied either.
        var blind = await PostAsync(importId, dryRun: false, [Line(2, sku, stock: "30")]);
        AssertError(blind, 2, "no_dry_run_version");

        var overwritten = await PostAsync(importId, dryRun: false, WithVersions(file, dry), overwrite: true);
        Assert.Equal(ImportOutcome.APPLIED, At(overwritten, 2).Outcome);
        Assert.Equal(30L, (await RowAsync(sku)).StockCount);
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task An_import_racing_hundreds_of_holds_on_the_same_rows_never_oversells()
    {
        const int Rows = 20, Stock = 30, HoldsPerRow = 25;
        var skus = await Task.WhenAll(Enumerable.Range(0, Rows).Select(_ => service.CreateProductAsync(stock: Stock, threshold: 5)));
        var importId = "race-" + Guid.NewGuid().ToString("N");

        // Even rows are set to 10, odd rows lose 20: either way 10 are left, unless more than 10 are held first.
        var file = skus.Select((sku, i) => (Line: i + 2, Sku: sku, Absolute: i % 2 == 0)).ToList();
        object LineOf((int Line, string Sku, bool Absolute) l, long? version) => l.Absolute
            ? Line(l.Line, l.Sku, stock: "10", expectedVersion: version)
            : Line(l.Line, l.Sku, adjust: "-20", reason: "shrinkage");
        var dry = await PostAsync(importId, dryRun: true, file.Select(l => LineOf(l, null)));
        Assert.Equal(Rows, dry.Summary.WouldSet + dry.Summary.WouldAdjust);

        using var platform = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })) { BaseAddress = service.BaseAddress };
        platform.DefaultRequestHeaders.Add("x-api-key", TestService.ReserveKey);
        var holdTasks = Enumerable.Range(0, Rows * HoldsPerRow).Select(i => (Sku: skus[i % Rows], Task: platform.PostAsJsonAsync(
            $"/inventory/{skus[i % Rows]}/reserve", new { quantity = 1, reservation_id = $"shopper-{i}", warehouse_id = "main" }))).ToList();
        // The import goes in four requests, while the holds are on their way.
        var imports = file.Chunk(Rows / 4).Select(chunk => PostAsync(importId, dryRun: false, chunk.Select(l => LineOf(l, At(dry, l.Line).Version)))).ToList();

        var results = (await Task.WhenAll(imports)).SelectMany(r => r.Lines).ToDictionary(l => l.ProductId!);
        var holds = await Task.WhenAll(holdTasks.Select(async h => (h.Sku, Status: (await h.Task).StatusCode)));
        Assert.All(holds, h => Assert.True(h.Status is HttpStatusCode.Created or HttpStatusCode.Conflict, $"a hold answered {h.Status}"));

        var applied = 0;
        foreach (var sku in skus)
        {
            var row = await RowAsync(sku);
            var line = results[sku];
            var granted = holds.Count(h => h.Sku == sku && h.Status == HttpStatusCode.Created);
            Assert.Equal(granted, row.ReservedCount);
            Assert.True(row.ReservedCount <= row.StockCount, $"{sku}: {row.ReservedCount} held of {row.StockCount}");
            Assert.Equal(row.StockCount - row.ReservedCount, row.AvailableCount);
            if (line.Outcome == ImportOutcome.APPLIED)
            {
                applied++;
                Assert.Equal(10L, row.StockCount);
            }
            else
            {
                Assert.True(line.Error?.Code is "stock_below_held" or "adjust_exceeds_available", $"{sku}: {line.Outcome} {line.Error?.Code} {line.Error?.Message}");
                Assert.Equal((long)Stock, row.StockCount);
                Assert.True(row.ReservedCount > 10, $"{sku}: refused with only {row.ReservedCount} held");
            }
        }

        Assert.True(applied > 0, "no import line won against the holds: the race did not race");
        await service.AssertInvariantsAsync(skus);
        using var admin = service.Api();
        // The whole table, history included, through the endpoint operators use (the history follows the stream).
        var report = await Eventually.ValueAsync(
            async () => (await InventoryClient.ReadAsync<InvariantReport>(await admin.Http.GetAsync("/admin/invariants?history=true"))).Ok,
            r => r.Holds, "the invariants report, history included, is clean");
        Assert.True(report.RowsChecked >= Rows);
    }
}
