using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Inventory.Api.Domain;
using Inventory.Api.Features.History;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The stock history through the real service and DynamoDB Local: every kind of movement becomes one entry with its
/// counts before and after, the key name (or job) that caused it, its reason and reference, in the order of the row's
/// changes; the listing filters and pages newest first; bad input is problem JSON.
/// </summary>
public class HistoryTests(TestService service) : IClassFixture<TestService>
{
    private static StockCounts Counts(CountsView c) => new(c.StockCount, c.ReservedCount, c.AvailableCount, c.ThresholdLevel);

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The product's entries, oldest first, once the history holds at least <paramref name="count"/> of them.</summary>
    private async Task<List<HistoryEntryView>> EntriesAsync(string sku, int count, string query = "")
    {
        using var admin = service.Api();
        var entries = await Eventually.ValueAsync(() => admin.HistoryAsync(sku, query), e => e.Count >= count, $"the history of {sku} holds {count} entries");
        entries.Reverse();
        return entries;
    }

    private async Task<string> ETagAsync(string sku)
    {
        using var admin = service.Client();
        using var response = await admin.GetAsync($"/inventory/{sku}?warehouse_id=main");
        return response.Headers.ETag!.Tag;
    }

    private async Task PutAsync(string sku, object body)
    {
        using var admin = service.Client();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/inventory/{sku}") { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("If-Match", await ETagAsync(sku));
        using var response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static void AssertEntry(
        HistoryEntryView entry, long sequence, MoveKind kind, long quantity, StockCounts before, StockCounts after, string by,
        string? reference = null, string? reason = null)
    {
        var what = $"entry {entry.Sequence} ({entry.Kind})";
        Assert.True(sequence == entry.Sequence, $"{what}: expected sequence {sequence}");
        Assert.True(kind == entry.Kind, $"{what}: expected {kind}");
        Assert.True(quantity == entry.Quantity, $"{what}: expected quantity {quantity}, got {entry.Quantity}");
        Assert.Equal(before, Counts(entry.Before));
        Assert.Equal(after, Counts(entry.After));
        Assert.True(by == entry.By, $"{what}: expected by {by}, got {entry.By}");
        Assert.True(reference == entry.Reference, $"{what}: expected reference {reference}, got {entry.Reference}");
        Assert.True(reason == entry.Reason, $"{what}: expected reason {reason}, got {entry.Reason}");
        Assert.Equal("main", entry.WarehouseId);
    }

    [Fact]
    public async Task Every_kind_of_movement_is_one_entry_with_its_counts_who_why_and_what_for()
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-1);
        var sku = await service.CreateProductAsync(stock: 20, threshold: 5); // created and stocked by the admin key "admin"
        using var platform = service.Api(TestService.ReserveKey); // the key named "platform"
        using var admin = service.Client();

        Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, 3, "cart-1")).Status);
        Assert.Equal(HttpStatusCode.NoContent, await platform.ReleaseAsync(sku, "cart-1"));

        Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, 4, "cart-2")).Status);
        // Extending a hold changes no count: no entry.
        (await platform.Http.PostAsJsonAsync($"/inventory/{sku}/reserve/cart-2/extend", new { ttl_seconds = 600 })).EnsureSuccessStatusCode();
        (await platform.Http.PostAsJsonAsync("/orders/order-1/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "cart-2" } } })).EnsureSuccessStatusCode();
        (await platform.Http.PostAsJsonAsync("/orders/order-2/fulfil", new { lines = new[] { new { product_id = sku, quantity = 1, warehouse_id = "main" } } })).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, 2, "cart-exp", ttlSeconds: 1)).Status);
        await Eventually.TrueAsync(async () => (await platform.ReservationAsync(sku, "cart-exp")).Status == ReservationStatus.EXPIRED, "the sweep expires cart-exp");

        for (var attempt = 0; attempt < 2; attempt++)
        {
            // The second is a replay of the first: one adjustment, one entry.
            using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { delta = 10, reason = "PO-1001 received" }),
            };
            adjust.Headers.Add("Idempotency-Key", "adj-1");
            (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();
        }

        await PutAsync(sku, new { warehouse_id = "main", stock_count = 40 });
        await PutAsync(sku, new { warehouse_id = "main", threshold_level = 8 });
        await PutAsync(sku, new { warehouse_id = "main", category = "posters" }); // no count moves: no entry
        Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, 1, "cart-last")).Status);

        var entries = await EntriesAsync(sku, 13);
        Assert.Equal(13, entries.Count);
        var t5 = new StockCounts(0, 0, 0, 5);
        AssertEntry(entries[0], 1, MoveKind.CREATE, 0, StockCounts.Zero, t5, "admin");
        AssertEntry(entries[1], 2, MoveKind.SET, 20, t5, new(20, 0, 20, 5), "admin");
        AssertEntry(entries[2], 3, MoveKind.HOLD, 3, new(20, 0, 20, 5), new(20, 3, 17, 5), "platform", "cart-1");
        AssertEntry(entries[3], 4, MoveKind.RELEASE, 3, new(20, 3, 17, 5), new(20, 0, 20, 5), "platform", "cart-1");
        AssertEntry(entries[4], 5, MoveKind.HOLD, 4, new(20, 0, 20, 5), new(20, 4, 16, 5), "platform", "cart-2");
        AssertEntry(entries[5], 6, MoveKind.SALE, 4, new(20, 4, 16, 5), new(16, 0, 16, 5), "platform", "order-1");
        AssertEntry(entries[6], 7, MoveKind.SALE, 1, new(16, 0, 16, 5), new(15, 0, 15, 5), "platform", "order-2");
        AssertEntry(entries[7], 8, MoveKind.HOLD, 2, new(15, 0, 15, 5), new(15, 2, 13, 5), "platform", "cart-exp");
        AssertEntry(entries[8], 9, MoveKind.EXPIRY, 2, new(15, 2, 13, 5), new(15, 0, 15, 5), "job:expiry", "cart-exp");
        AssertEntry(entries[9], 10, MoveKind.ADJUSTMENT, 10, new(15, 0, 15, 5), new(25, 0, 25, 5), "admin", "adj-1", "PO-1001 received");
        AssertEntry(entries[10], 11, MoveKind.SET, 15, new(25, 0, 25, 5), new(40, 0, 40, 5), "admin");
        AssertEntry(entries[11], 12, MoveKind.THRESHOLD, 3, new(40, 0, 40, 5), new(40, 0, 40, 8), "admin");
        AssertEntry(entries[12], 13, MoveKind.HOLD, 1, new(40, 0, 40, 8), new(40, 1, 39, 8), "platform", "cart-last");
        Assert.All(entries, e => Assert.InRange(e.At, started, DateTimeOffset.UtcNow));
        Assert.Equal(entries.OrderBy(e => e.At).Select(e => e.Sequence), entries.Select(e => e.Sequence));

        await service.AssertHistoryAsync([sku]);
        using var staff = service.Api();
        Assert.Equal(13, (await staff.HistoryAsync(sku)).Count); // nothing more came, the category change included
    }

    [Fact]
    public async Task A_hold_from_the_order_services_queue_is_attributed_to_the_queue_with_the_order_id()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = "order-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = service.Client(); // outside the Lambda Web Adapter, /events takes the admin key
        using var response = await admin.PostAsync("/events", TestService.RawJson(EventsTests.SqsBatch(EventsTests.ReserveMessage(orderId, (sku, 4)))));
        Assert.Empty((await TestService.ReadJsonAsync(response)).GetProperty("batchItemFailures").EnumerateArray());

        var entries = await EntriesAsync(sku, 3);
        AssertEntry(entries[2], 3, MoveKind.HOLD, 4, new(10, 0, 10, 5), new(10, 4, 6, 5), "queue:reserve-inventory", orderId);
    }

    [Fact]
    public async Task The_listing_pages_newest_first_across_warehouses_and_filters_by_warehouse_kind_and_time()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 2);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 5 })).EnsureSuccessStatusCode();
        using var platform = service.Api(TestService.ReserveKey);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(sku, 1, $"h{i}", i % 2 == 0 ? "main" : "east")).Status);
        }

        using var staff = service.Api();
        var all = await Eventually.ValueAsync(() => staff.HistoryAsync(sku), e => e.Count >= 9, "create, set, create east and six holds");
        Assert.Equal(9, all.Count);
        Assert.Equal(all.OrderByDescending(e => e.At).Select(e => (e.WarehouseId, e.Sequence)), all.Select(e => (e.WarehouseId, e.Sequence)));
        var east = Assert.Single(all, e => e.WarehouseId == "east" && e.Kind == MoveKind.CREATE);
        Assert.Equal((5, StockCounts.Zero, new StockCounts(5, 0, 5, 2)), (east.Quantity, Counts(east.Before), Counts(east.After)));

        // Small pages give the same entries in the same order.
        Assert.Equal(all.Select(e => (e.WarehouseId, e.Sequence)), (await staff.HistoryAsync(sku, limit: 2)).Select(e => (e.WarehouseId, e.Sequence)));
        Assert.Equal(all.Where(e => e.WarehouseId == "east").Select(e => e.Sequence), (await staff.HistoryAsync(sku, "warehouse_id=east", limit: 1)).Select(e => e.Sequence));
        var holds = await staff.HistoryAsync(sku, "kind=HOLD", limit: 2);
        Assert.Equal(["h5", "h4", "h3", "h2", "h1", "h0"], holds.Select(e => e.Reference));

        var middle = all[4].At;
        Assert.Equal(all.Where(e => e.At >= middle).Select(e => e.Sequence + e.WarehouseId), (await staff.HistoryAsync(sku, $"from={Utc(middle)}")).Select(e => e.Sequence + e.WarehouseId));
        Assert.Equal(all.Where(e => e.At <= middle).Select(e => e.Sequence + e.WarehouseId), (await staff.HistoryAsync(sku, $"to={Utc(middle)}", limit: 3)).Select(e => e.Sequence + e.WarehouseId));
        Assert.Equal(
            all.Where(e => e.At == middle && e.Kind == MoveKind.HOLD).Select(e => e.Reference),
            (await staff.HistoryAsync(sku, $"from={Utc(middle)}&to={Utc(middle)}&kind=HOLD")).Select(e => e.Reference));
        Assert.Empty(await staff.HistoryAsync(sku, $"from={Utc(DateTimeOffset.UtcNow.AddHours(1))}"));

        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task Bad_input_foreign_tokens_and_keys_without_the_admin_scope_are_problem_json()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        var other = await service.CreateProductAsync(stock: 3);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 1 })).EnsureSuccessStatusCode();
        using var api = service.Api();
        await Eventually.ValueAsync(() => api.HistoryAsync(sku), e => e.Count >= 3, "three entries");
        var token = (await api.HistoryPageAsync(sku, "limit=1")).Ok.NextToken!;

        foreach (var query in new[]
        {
            "kind=hold", "kind=HOLD,SALE", "from=yesterday", "from=2026-11-29T10:00:00", "to=2026-11-29", "from=2026-11-29T10:00:00Z&to=2026-11-29T09:00:00Z",
            "limit=0", "limit=101", "limit=abc", "warehouse_id=", "warehouse_id=a%23b", "from=2026-13-45T10:00:00Z",
        })
        {
            await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{sku}/history?{query}"), 400, "validation_failed");
        }

        await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{sku}/history?next_token=garbage"), 400, "invalid_token");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{other}/history?next_token={Uri.EscapeDataString(token)}"), 400, "invalid_token");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{sku}/history?warehouse_id=east&next_token={Uri.EscapeDataString(token)}"), 400, "invalid_token");
        await TestService.AssertProblemAsync(await admin.GetAsync("/inventory/no-such-product/history"), 404, "product_not_found");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{sku}/history?warehouse_id=west"), 404, "warehouse_not_found");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/admin/invariants?product_id={sku}&history=yes"), 400, "validation_failed");

        using var reader = service.Client(TestService.ReadKey);
        await TestService.AssertProblemAsync(await reader.GetAsync($"/inventory/{sku}/history"), 403, "forbidden");
        using var platform = service.Client(TestService.ReserveKey);
        await TestService.AssertProblemAsync(await platform.GetAsync($"/inventory/{sku}/history"), 403, "forbidden");
        using var anonymous = service.Client(apiKey: null);
        await TestService.AssertProblemAsync(await anonymous.GetAsync($"/inventory/{sku}/history"), 401, "unauthorized");
    }
}
