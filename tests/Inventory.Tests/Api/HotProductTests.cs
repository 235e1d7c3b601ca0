using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// Hot rows: a warehouse row spread over sub-rows in separate partitions. Whatever the spread, clients see one row, a
/// hold is refused only when the row as a whole is short, and no unit is lost or invented, under hundreds of parallel
/// holds and while the row is folded back.
/// </summary>
[Collection(nameof(ContentionTests))]
public class HotProductTests(TestService service, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TestService>
{
    private async Task<JsonElement> MarkHotAsync(string sku, int subRows)
    {
        using var admin = service.Client();
        return await TestService.ReadJsonAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = subRows }));
    }

    private async Task<JsonElement> HotRowAsync(string sku)
    {
        using var admin = service.Client();
        return await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{sku}/hot"));
    }

    private static long[] Shares(JsonElement hot) => hot.GetProperty("available_by_sub_row").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    [Fact]
    public async Task Marking_a_row_hot_spreads_its_units_evenly_and_the_row_still_reads_as_one()
    {
        var sku = await service.CreateProductAsync(stock: 102, threshold: 10);

        var hot = await MarkHotAsync(sku, 4);

        Assert.Equal(4, hot.GetProperty("sub_rows").GetInt32());
        Assert.Equal(new long[] { 26, 26, 25, 25 }, Shares(hot));
        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(102, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(102, row.GetProperty("available_count").GetInt64());
        Assert.Equal("IN_STOCK", row.GetProperty("status").GetString());

        using var admin = service.Client();
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 8 }), 409, "row_already_hot");
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 17 }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 4, warehouse_id = "nowhere" }), 404, "warehouse_not_found");
        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task Holds_on_a_hot_row_with_plenty_of_units_land_on_every_sub_row_not_only_the_row_itself()
    {
        var sku = await service.CreateProductAsync(stock: 4000, threshold: 10);
        await MarkHotAsync(sku, 4);
        using var platform = service.Client(TestService.ReserveKey);

        // Every instance learns which rows are hot within about a second; from then on its holds pick a sub-row at
        // random, and none of them is short, so no hold is ever sent elsewhere by a refusal.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"spread-{i}", warehouse_id = "main" })).StatusCode);
        }

        var spread = Shares(await HotRowAsync(sku));
        Assert.True(spread.Count(left => left < 1000) >= 3, $"40 holds took from only these sub-rows' 1,000 units each: {string.Join(", ", spread)}");
        Assert.Equal(4000 - 40, spread.Sum());
    }

    [Fact]
    public async Task Every_last_unit_is_held_one_by_one_across_sub_rows_and_a_hold_larger_than_any_sub_row_still_succeeds()
    {
        var sku = await service.CreateProductAsync(stock: 13, threshold: 2);
        var spread = Shares(await MarkHotAsync(sku, 4));
        Assert.Equal(new long[] { 4, 3, 3, 3 }, spread);
        using var platform = service.Client(TestService.ReserveKey);

        // Five units at once: more than any one sub-row has, fewer than the row has.
        Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 5, reservation_id = "big" })).StatusCode);

        // Then one by one: each of the last eight units is held, wherever it sits, and the ninth is refused.
        for (var i = 0; i < 8; i++)
        {
            var answer = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"one-{i}" });
            Assert.True(answer.StatusCode == HttpStatusCode.Created, $"unit {i + 1} of the last 8: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        }

        var refusal = await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "one-too-many" }), 409, "insufficient_stock");
        Assert.Equal(0, refusal.GetProperty("available_count").GetInt64());

        // The holds are found by their ids wherever they sit: read, extended, sold and released.
        var held = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/one-7"));
        Assert.Equal(sku, held.GetProperty("product_id").GetString());
        Assert.Equal(HttpStatusCode.OK, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/one-7/extend", new { ttl_seconds = 900 })).StatusCode);
        (await platform.PostAsJsonAsync("/orders/hot-order/fulfil", new
        {
            lines = Enumerable.Range(0, 4).Select(i => new { product_id = sku, reservation_id = $"one-{i}" }).ToArray(),
        })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/one-5")).StatusCode);

        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(9, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(8, row.GetProperty("reserved_count").GetInt64());
        Assert.Equal(1, row.GetProperty("available_count").GetInt64());

        // A replay of a hold on a sub-row is the hold, not a second one.
        var replay = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "one-6" });
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(8, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task Five_hundred_shoppers_on_two_hundred_units_over_eight_sub_rows_get_exactly_two_hundred_holds_and_one_chain_of_alerts()
    {
        var sku = await service.CreateProductAsync(stock: 200, threshold: 40);
        await MarkHotAsync(sku, 8);

        using var platform = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })) { BaseAddress = service.BaseAddress };
        platform.DefaultRequestHeaders.Add("x-api-key", TestService.ReserveKey);
        var answers = await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"shopper-{i}" })));

        var summary = string.Join(", ", answers.GroupBy(a => (int)a.StatusCode).OrderBy(g => g.Key).Select(g => $"{g.Key} x {g.Count()}"));
        output.WriteLine(summary);
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.Created) == 200, summary);
        Assert.True(answers.All(a => a.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict), summary);
        foreach (var refusal in answers.Where(a => a.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Equal(0, (await TestService.AssertProblemAsync(refusal, 409, "insufficient_stock")).GetProperty("available_count").GetInt64());
        }

        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(200, row.GetProperty("reserved_count").GetInt64());
        Assert.Equal("OUT_OF_STOCK", row.GetProperty("status").GetString());
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
        // One chain from the stocking to sold out. A hot row's status is settled from all its sub-rows as they are after
        // each batch of changes, so LOW_STOCK is announced only if a batch found the row there: a sale this fast may
        // pass through it between two batches.
        StatusStreamTests.AssertOneChain(await service.AlertsForAsync(sku), "OUT_OF_STOCK", "OUT_OF_STOCK", minimum: 2);

        // The holds landed on every sub-row, not on the row itself alone.
        using var admin = service.Client();
        var holds = await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{sku}/history?kind=HOLD&limit=100"));
        var subRows = holds.GetProperty("items").EnumerateArray()
            .Select(e => e.TryGetProperty("sub_row", out var k) && k.ValueKind == JsonValueKind.Number ? k.GetInt32() : 0).Distinct().Count();
        Assert.True(subRows >= 6, $"the last 100 holds came from only {subRows} of 8 sub-rows");
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task Folding_back_while_shoppers_hold_and_release_loses_and_invents_no_unit()
    {
        var sku = await service.CreateProductAsync(stock: 300, threshold: 10);
        await MarkHotAsync(sku, 4);
        using var platform = service.Client(TestService.ReserveKey);
        var pairs = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        async Task ShopAsync(int worker, int n)
        {
            var id = $"w{worker}-{n}";
            var held = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1 + (n % 3), reservation_id = id });
            if (held.StatusCode != HttpStatusCode.Created)
            {
                failures.Add($"hold {id}: {(int)held.StatusCode} {await held.Content.ReadAsStringAsync()}");
                return;
            }

            var released = await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}");
            if (released.StatusCode != HttpStatusCode.NoContent)
            {
                failures.Add($"release {id}: {(int)released.StatusCode}");
            }

            Interlocked.Increment(ref pairs);
        }

        await using (var shoppers = new BackgroundClients(16, ShopAsync))
        {
            await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref pairs) > 100), "the shoppers are busy on the hot row");
            using (var admin = service.Client())
            {
                var folding = await TestService.ReadJsonAsync(await admin.DeleteAsync($"/inventory/{sku}/hot"));
                Assert.True(folding.GetProperty("folding").GetBoolean() || folding.GetProperty("sub_rows").GetInt32() == 1);
            }

            var foldedAt = Volatile.Read(ref pairs);
            await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref pairs) > foldedAt + 100), "the shoppers go on while the row folds back");
            await shoppers.StopAsync();
        }

        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));

        // With the last hold released, the last sub-row is emptied and removed, and the row is one row again.
        await Eventually.TrueAsync(async () => (await HotRowAsync(sku)).GetProperty("sub_rows").GetInt32() == 1, "the row folded back into one");
        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(300, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(300, row.GetProperty("available_count").GetInt64());
        var folded = Shares(await HotRowAsync(sku));
        Assert.Equal(new long[] { 300 }, folded);
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
        output.WriteLine($"{pairs} hold/release pairs");
    }

    [Fact]
    public async Task A_hold_replayed_while_its_row_is_marked_hot_or_folds_back_is_the_first_hold_never_a_second()
    {
        var sku = await service.CreateProductAsync(stock: 400, threshold: 10);
        using var platform = service.Client(TestService.ReserveKey);
        var first = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();

        async Task HoldAsync(string id, bool replay)
        {
            using var answer = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id });
            var body = await answer.Content.ReadAsStringAsync();
            var expected = replay ? HttpStatusCode.OK : HttpStatusCode.Created;
            var expires = answer.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.GetProperty("expires_at").GetString()! : "";
            if (answer.StatusCode != expected || (replay && first[id] != expires))
            {
                wrong.Add($"{id} ({(replay ? "replay" : "first")}): {(int)answer.StatusCode} {body}");
            }

            first.TryAdd(id, expires);
        }

        // Replays of each id, sent over and over by 16 clients until told to stop: the retries of shoppers whose
        // answers were lost, arriving on both sides of the moment the row changes shape.
        BackgroundClients ReplaysOf(IReadOnlyList<string> ids) => new(16, (worker, round) => HoldAsync(ids[(worker + round) % ids.Count], replay: true));

        var before = Enumerable.Range(0, 40).Select(i => $"before-{i}").ToList();
        await Task.WhenAll(before.Select(id => HoldAsync(id, replay: false)));
        await using (var replays = ReplaysOf(before))
        {
            Assert.Equal(4, (await MarkHotAsync(sku, 4)).GetProperty("sub_rows").GetInt32());
            // Until every instance has read the new list of hot rows (about a second) and well after.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await replays.StopAsync();
        }

        var during = Enumerable.Range(0, 40).Select(i => $"hot-{i}").ToList();
        await Task.WhenAll(during.Select(id => HoldAsync(id, replay: false)));
        await using (var replays = ReplaysOf(during))
        {
            using (var admin = service.Client())
            {
                (await admin.DeleteAsync($"/inventory/{sku}/hot")).EnsureSuccessStatusCode();
            }

            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await replays.StopAsync();
        }

        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(80, row.GetProperty("reserved_count").GetInt64());
        Assert.Equal(320, row.GetProperty("available_count").GetInt64());

        // Each id is one hold: released once, the row holds nothing, and with that it folds back into one row.
        foreach (var id in before.Concat(during))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}")).StatusCode);
        }

        await Eventually.TrueAsync(async () => (await HotRowAsync(sku)).GetProperty("sub_rows").GetInt32() == 1, "the row folded back into one");
        row = await service.GetInventoryAsync(sku);
        Assert.Equal(0, row.GetProperty("reserved_count").GetInt64());
        Assert.Equal(400, row.GetProperty("available_count").GetInt64());
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Sales_on_every_sub_row_add_up_to_the_rows_days_of_cover_and_one_runs_out_soon_alert()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 5);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/products/{sku}/lead-time", new { lead_time_days = 30 })).EnsureSuccessStatusCode();
        await MarkHotAsync(sku, 4);
        using var platform = service.Client(TestService.ReserveKey);

        // 70 units held wherever they land and sold: 70 sold today, 30 left, 10 a day over 7 days: 3 days of cover.
        for (var i = 0; i < 70; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"cover-{i}" })).StatusCode);
            (await platform.PostAsJsonAsync($"/orders/cover-order-{i}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = $"cover-{i}" } } })).EnsureSuccessStatusCode();
        }

        var cover = await Eventually.ValueAsync(
            async () => (await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/cover?product_id={sku}"))).GetProperty("items"),
            items => items.GetArrayLength() == 1 && items[0].GetProperty("sold_7d").GetInt64() == 70 && items[0].GetProperty("available_count").GetInt64() == 30,
            "the row's cover counts the sales of every sub-row");
        Assert.Equal(sku, cover[0].GetProperty("product_id").GetString());
        Assert.True(cover[0].GetProperty("runs_out_soon").GetBoolean());
        var soon = (await service.AlertsForAsync(sku)).Where(a => a.GetProperty("alert_type").GetString() == "RUNS_OUT_SOON").ToList();
        Assert.Single(soon);
    }

    [Fact]
    public async Task A_transfer_out_of_a_hot_row_takes_units_from_every_sub_row()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 5);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 0 })).EnsureSuccessStatusCode();
        await MarkHotAsync(sku, 4);

        // 60 of 100, while sub-row 0 holds 25 of them.
        (await admin.PostAsJsonAsync($"/inventory/{sku}/transfers", new { from_warehouse = "main", to_warehouse = "east", quantity = 60, transfer_id = "hot-move" })).EnsureSuccessStatusCode();
        var refusal = await TestService.AssertProblemAsync(
            await admin.PostAsJsonAsync($"/inventory/{sku}/transfers", new { from_warehouse = "main", to_warehouse = "east", quantity = 41, transfer_id = "hot-move-2" }), 409, "insufficient_stock");
        Assert.Equal(40, refusal.GetProperty("available_count").GetInt64());

        var rows = (await service.GetInventoryAsync(sku)).GetProperty("warehouses").EnumerateArray().ToDictionary(w => w.GetProperty("warehouse_id").GetString()!, w => w.GetProperty("stock_count").GetInt64());
        Assert.Equal(40, rows["main"]);
        Assert.Equal(60, rows["east"]);
        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task Staff_writes_on_a_hot_row_count_the_units_of_every_sub_row()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 10);
        await MarkHotAsync(sku, 4);
        using var admin = service.Client();

        // Down to 30 of 100: more than sub-row 0's 25 has to go.
        var version = (await service.GetInventoryAsync(sku)).GetProperty("warehouses")[0].GetProperty("version").GetInt64();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 30, expected_version = version })).EnsureSuccessStatusCode();
        Assert.Equal(30, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());

        // A write-off of 25 of the 30, then one more than is left.
        using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = -25, reason = "damaged" }) };
        adjust.Headers.Add("Idempotency-Key", "hot-write-off");
        (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();
        using var tooMuch = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = -6, reason = "damaged" }) };
        tooMuch.Headers.Add("Idempotency-Key", "hot-write-off-2");
        var refusal = await TestService.AssertProblemAsync(await admin.SendAsync(tooMuch), 409, "insufficient_stock");
        Assert.Equal(5, refusal.GetProperty("available_count").GetInt64());

        // A direct sale of all that is left, wherever it sits.
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync("/orders/hot-direct/fulfil", new { lines = new[] { new { product_id = sku, quantity = 5 } } })).EnsureSuccessStatusCode();
        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(0, row.GetProperty("stock_count").GetInt64());
        Assert.Equal("OUT_OF_STOCK", row.GetProperty("status").GetString());
        await service.AssertHistoryAsync([sku]);
    }
}

/// <summary>Marking a row hot when the request dies half-way: nothing is held twice, and the same request finishes it.</summary>
public class HotMarkingCutOffTests(FaultyService service) : IClassFixture<FaultyService>
{
    [Fact]
    public async Task A_marking_cut_off_after_the_row_was_marked_spreads_no_unit_until_the_same_request_again_finishes_it()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 10);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        var early = await TestService.ReadJsonAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "early" }));
        var expires = early.GetProperty("expires_at").GetString();

        // The request dies right after the transaction that marked the row: its earlier hold has no claim yet.
        service.Faults.AfterCommitNaming = sku;
        service.Faults.AfterCommit = () =>
        {
            service.Faults.AfterCommit = null;
            throw new IOException("Injected: the instance stopped here.");
        };
        try
        {
            Assert.False((await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 4 })).IsSuccessStatusCode);
        }
        finally
        {
            service.Faults.AfterCommit = null;
            service.Faults.AfterCommitNaming = null;
        }

        // Marked, but the units stay on the row itself, however many changes the stream sees: a replay of the earlier
        // hold can land only there, where its record is.
        for (var i = 0; i < 20; i++)
        {
            using var replay = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "early" });
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal(expires, (await TestService.ReadJsonAsync(replay)).GetProperty("expires_at").GetString());
        }

        Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "late" })).StatusCode);
        using var staff = service.Api();
        await Eventually.TrueAsync(async () => (await staff.HistoryAsync(sku)).Any(e => e.Reference == "late"), "the stream handled the later hold");
        var stuck = await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{sku}/hot"));
        Assert.Equal(new long[] { 97, 0, 0, 0 }, stuck.GetProperty("available_by_sub_row").EnumerateArray().Select(e => e.GetInt64()).ToArray());

        // The same request again claims the earlier hold and spreads the units.
        var hot = await TestService.ReadJsonAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 4 }));
        Assert.Equal(97, hot.GetProperty("available_by_sub_row").EnumerateArray().Sum(e => e.GetInt64()));
        Assert.True(hot.GetProperty("available_by_sub_row").EnumerateArray().All(e => e.GetInt64() >= 24), hot.ToString());
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 4 }), 409, "row_already_hot");

        // Replays now land on any sub-row, and each finds the claim of the first hold.
        for (var i = 0; i < 20; i++)
        {
            using var replay = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "early" });
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        }

        Assert.Equal(3, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/early")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/late")).StatusCode);
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }
}
