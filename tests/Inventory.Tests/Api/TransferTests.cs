using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Api.Domain;
using Inventory.Api.Features.Inventory;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>Transfers of available units between two warehouse rows of one product.</summary>
public class TransferTests(TestService service) : IClassFixture<TestService>
{
    /// <summary>A product with <paramref name="main"/> units in "main" and a row "east" with <paramref name="east"/>.</summary>
    internal static async Task<string> TwoWarehousesAsync(TestService service, long main, long east = 0)
    {
        var sku = await service.CreateProductAsync(stock: main);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = east })).EnsureSuccessStatusCode();
        return sku;
    }

    internal static HttpRequestMessage TransferRequest(string sku, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/transfers") { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return request;
    }

    private static async Task<Answer<TransferResponse>> TransferAsync(HttpClient client, string sku, long quantity, string key, string from = "main", string to = "east", string? reason = null) =>
        await InventoryClient.ReadAsync<TransferResponse>(await client.SendAsync(TransferRequest(sku, new { from_warehouse = from, to_warehouse = to, quantity, reason }, key)));

    private static InventoryRowView Row(InventoryView view, string warehouse) => view.Warehouses.Single(w => w.WarehouseId == warehouse);

    [Fact]
    public async Task A_transfer_moves_available_units_in_one_step_and_both_rows_history_names_it()
    {
        var sku = await TwoWarehousesAsync(service, main: 30, east: 2);
        using var admin = service.Api();

        var moved = await TransferAsync(admin.Http, sku, 12, "rebalance-1", reason: "east runs low");

        Assert.Equal(HttpStatusCode.OK, moved.Status);
        var answer = moved.Ok;
        Assert.Equal(("rebalance-1", "main", "east", 12L, "east runs low"), (answer.Transfer.TransferId, answer.Transfer.FromWarehouse, answer.Transfer.ToWarehouse, answer.Transfer.Quantity, answer.Transfer.Reason));
        Assert.Equal((18L, 18L), (answer.From!.StockCount, answer.From.AvailableCount));
        Assert.Equal((14L, 14L), (answer.To!.StockCount, answer.To.AvailableCount));
        var now = await admin.InventoryAsync(sku);
        Assert.Equal(32, now.StockCount);
        Assert.Equal((18L, 14L), (Row(now, "main").StockCount, Row(now, "east").StockCount));

        var entries = await Eventually.ValueAsync(
            () => admin.HistoryAsync(sku, "kind=TRANSFER"), e => e.Count == 2, "both rows have their transfer entry");
        var source = entries.Single(e => e.WarehouseId == "main");
        var target = entries.Single(e => e.WarehouseId == "east");
        Assert.Equal((-12L, "rebalance-1", "to east: east runs low", "admin"), (source.Quantity, source.Reference, source.Reason, source.By));
        Assert.Equal((12L, "rebalance-1", "from main: east runs low"), (target.Quantity, target.Reference, target.Reason));
        Assert.Equal((30L, 18L), (source.Before.StockCount, source.After.StockCount));
        Assert.Equal((2L, 14L), (target.Before.StockCount, target.After.StockCount));
        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task A_replayed_transfer_answers_the_transfer_and_moves_nothing_more_even_once_the_source_ran_short()
    {
        var sku = await TwoWarehousesAsync(service, main: 10);
        using var admin = service.Api();

        var first = (await TransferAsync(admin.Http, sku, 8, "move-once")).Ok;
        using var replay = await admin.Http.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "east", quantity = 8 }, "move-once"));
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        var replayed = (await InventoryClient.ReadAsync<TransferResponse>(replay)).Ok;
        Assert.Equal(first.Transfer, replayed.Transfer);
        Assert.Equal((2L, 8L), (replayed.From!.StockCount, replayed.To!.StockCount));

        // Only 2 are left in main now, fewer than the 8 of the transfer: its replay still answers it, not a refusal.
        var late = await TransferAsync(admin.Http, sku, 8, "move-once");
        Assert.Equal(HttpStatusCode.OK, late.Status);
        Assert.Equal(first.Transfer, late.Ok.Transfer);

        // The same id in the body is the same transfer; another quantity under it is another request.
        var byBody = await InventoryClient.ReadAsync<TransferResponse>(await admin.Http.PostAsJsonAsync(
            $"/inventory/{sku}/transfers", new { from_warehouse = "main", to_warehouse = "east", quantity = 8, transfer_id = "move-once" }));
        Assert.Equal(first.Transfer, byBody.Ok.Transfer);
        var reused = await TransferAsync(admin.Http, sku, 1, "move-once");
        Assert.Equal((HttpStatusCode.Conflict, "idempotency_conflict"), (reused.Status, reused.Code));

        var now = await admin.InventoryAsync(sku);
        Assert.Equal((2L, 8L), (Row(now, "main").StockCount, Row(now, "east").StockCount));
        await service.AssertHistoryAsync([sku]);
        Assert.Equal(2, (await admin.HistoryAsync(sku, "kind=TRANSFER")).Count);
    }

    [Fact]
    public async Task Held_units_are_not_transferred_and_the_refusal_says_how_many_are_available()
    {
        var sku = await TwoWarehousesAsync(service, main: 10);
        using var admin = service.Api();
        using var platform = service.Api(TestService.ReserveKey);
        Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, 8, "cart-held")).Status);

        var refused = await TransferAsync(admin.Http, sku, 5, "too-many");

        Assert.Equal((HttpStatusCode.Conflict, "insufficient_stock"), (refused.Status, refused.Code));
        Assert.Equal(2, refused.Extension("available_count").GetInt64());
        Assert.Equal(8, refused.Extension("reserved_count").GetInt64());
        Assert.Equal(5, refused.Extension("requested").GetInt64());
        Assert.Equal("main", refused.Extension("warehouse_id").GetString());
        Assert.Contains("2 available", refused.Problem!.Detail);
        var now = await admin.InventoryAsync(sku);
        Assert.Equal((10L, 8L, 0L), (Row(now, "main").StockCount, Row(now, "main").ReservedCount, Row(now, "east").StockCount));

        // The refused key was not used: the same key may carry a transfer that fits.
        Assert.Equal(HttpStatusCode.OK, (await TransferAsync(admin.Http, sku, 2, "too-many")).Status);
        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task Bad_transfers_are_refused_with_problem_json_and_change_nothing()
    {
        var sku = await TwoWarehousesAsync(service, main: 10);
        using var admin = service.Client();

        var same = await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "main", quantity = 1 }, "k1")), 400, "validation_failed");
        Assert.True(same.GetProperty("errors").TryGetProperty("to_warehouse", out _));
        var zero = await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "east", quantity = 0 }, "k2")), 400, "validation_failed");
        Assert.True(zero.GetProperty("errors").TryGetProperty("quantity", out _));
        await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "east", quantity = -3 }, "k3")), 400, "validation_failed");
        var keyless = await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "east", quantity = 1 }, null)), 400, "validation_failed");
        Assert.True(keyless.GetProperty("errors").TryGetProperty("transfer_id", out _));
        await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "east", quantity = 1, transfer_id = "a" }, "b")), 400, "validation_failed");

        var nowhere = await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "west", quantity = 1 }, "k4")), 404, "warehouse_not_found");
        Assert.Equal("west", nowhere.GetProperty("warehouse_id").GetString());
        var nosource = await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest(sku, new { from_warehouse = "north", to_warehouse = "east", quantity = 1 }, "k5")), 404, "warehouse_not_found");
        Assert.Equal("north", nosource.GetProperty("warehouse_id").GetString());
        await TestService.AssertProblemAsync(await admin.SendAsync(TransferRequest("no-such-product", new { from_warehouse = "main", to_warehouse = "east", quantity = 1 }, "k6")), 404, "product_not_found");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReserveKey).SendAsync(TransferRequest(sku, new { from_warehouse = "main", to_warehouse = "east", quantity = 1 }, "k7")), 403, "forbidden");

        var now = await service.GetInventoryAsync(sku);
        Assert.Equal(10, now.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, now.GetProperty("warehouses").EnumerateArray().Single(w => w.GetProperty("warehouse_id").GetString() == "east").GetProperty("stock_count").GetInt64());
    }
}

/// <summary>A transfer racing hundreds of holds on its source row: the units are always on exactly one of the rows.</summary>
[Collection(nameof(ContentionTests))]
[Trait(Lanes.Name, Lanes.Load)]
public class TransferRaceTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Transfers_racing_hundreds_of_parallel_holds_on_the_source_never_create_or_lose_a_unit()
    {
        const long Stock = 350;
        var sku = await TransferTests.TwoWarehousesAsync(service, main: Stock);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        var held = new ConcurrentBag<string>();
        var moved = new ConcurrentBag<(string Id, long Quantity, string From)>();
        var refusedTransfers = 0;

        // 300 carts of one unit and 30 transfers of 5 (most main -> east, some back), all at once: 400 units wanted of 350.
        var holds = Enumerable.Range(0, 300).Select(async i =>
        {
            using var response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"race-{i}", warehouse_id = "main" });
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"hold {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            if (response.StatusCode == HttpStatusCode.Created)
            {
                held.Add($"race-{i}");
            }
        });
        var transfers = Enumerable.Range(0, 30).Select(async i =>
        {
            await Task.Delay(i * 7);
            var (from, to) = i % 5 == 4 ? ("east", "main") : ("main", "east");
            using var response = await admin.SendAsync(TransferTests.TransferRequest(sku, new { from_warehouse = from, to_warehouse = to, quantity = 5 }, $"t-{i}"));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                moved.Add(($"t-{i}", 5, from));
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Conflict && body.Contains("insufficient_stock", StringComparison.Ordinal), $"transfer {i}: {(int)response.StatusCode} {body}");
                Interlocked.Increment(ref refusedTransfers);
            }
        });
        await Task.WhenAll(holds.Concat(transfers));

        var inventory = await service.GetInventoryAsync(sku);
        var rows = inventory.GetProperty("warehouses").EnumerateArray().ToDictionary(w => w.GetProperty("warehouse_id").GetString()!);
        var toEast = moved.Where(m => m.From == "main").Sum(m => m.Quantity) - moved.Where(m => m.From == "east").Sum(m => m.Quantity);
        Assert.Equal(Stock, rows["main"].GetProperty("stock_count").GetInt64() + rows["east"].GetProperty("stock_count").GetInt64());
        Assert.Equal(Stock - toEast, rows["main"].GetProperty("stock_count").GetInt64());
        Assert.Equal(toEast, rows["east"].GetProperty("stock_count").GetInt64());
        Assert.Equal(held.Count, rows["main"].GetProperty("reserved_count").GetInt64());
        Assert.True(moved.Any(m => m.From == "main"), "no transfer got through the holds");

        // Every row invariant and the whole history of both rows, once the stream has caught up; then the drift report agrees.
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
        using var report = await admin.GetAsync($"/admin/invariants?product_id={sku}&history=true");
        var drift = await TestService.ReadJsonAsync(report);
        Assert.True(drift.GetProperty("violations").GetArrayLength() == 0, drift.ToString());

        // The history's transfer entries are exactly the transfers answered, one on each row, and sum to zero.
        using var history = service.Api();
        var entries = await history.HistoryAsync(sku, "kind=TRANSFER");
        Assert.Equal(moved.Select(m => m.Id).Order(), entries.GroupBy(e => e.Reference!).Where(g => g.Count() == 2).Select(g => g.Key).Order());
        Assert.Equal(moved.Count * 2, entries.Count);
        Assert.Equal(0, entries.Sum(e => e.Quantity));
        Assert.Equal(toEast, entries.Where(e => e.WarehouseId == "east").Sum(e => e.Quantity));
        Assert.All(entries, e => Assert.Equal(MoveKind.TRANSFER, e.Kind));
    }
}
