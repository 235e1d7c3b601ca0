using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// Runs alone, after the parallel classes, on a DynamoDB Local of its own: its hundreds of requests in flight for minutes
/// would otherwise be the load that the timing bounds of other classes (the crash test, the expiry on a busy row) are
/// measured under, and by the time it runs the shared DynamoDB Local holds every earlier class's tables, which slowed
/// its marking and folding past the client's 100 s timeout.
/// </summary>
[CollectionDefinition(nameof(HotProductRaceTests), DisableParallelization = true)]
public sealed class HotProductRaceCollection;

/// <summary>
/// Adversarial races on hot rows: replays, holds, releases and sales crossing the moment a row is marked hot or folds
/// back, at hundreds of requests in flight, each checked against the row's counts afterwards.
/// </summary>
[Collection(nameof(HotProductRaceTests))]
[Trait(Lanes.Name, Lanes.Load)]
public class HotProductRaceTests(OwnDynamoDbService service, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<OwnDynamoDbService>
{
    private HttpClient Platform()
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = service.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", TestService.ReserveKey);
        return client;
    }

    private async Task<HttpResponseMessage> MarkHotAsync(string sku, int subRows)
    {
        using var admin = service.Client();
        return await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = subRows });
    }

    private async Task<HttpResponseMessage> FoldAsync(string sku)
    {
        using var admin = service.Client();
        return await admin.DeleteAsync($"/inventory/{sku}/hot");
    }

    private async Task<JsonElement> HotRowAsync(string sku)
    {
        using var admin = service.Client();
        return await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{sku}/hot"));
    }

    private static string Summary(IEnumerable<HttpStatusCode> codes) =>
        string.Join(", ", codes.GroupBy(c => (int)c).OrderBy(g => g.Key).Select(g => $"{g.Key} x {g.Count()}"));

    [Theory]
    [InlineData("released")]
    [InlineData("sold")]
    public async Task A_replay_of_a_hold_that_ended_before_the_row_was_marked_hot_answers_that_hold_and_holds_nothing(string ending)
    {
        var sku = await service.CreateProductAsync(stock: 50, threshold: 5);
        using var platform = Platform();
        var first = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "gone" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        if (ending == "released")
        {
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/gone")).StatusCode);
        }
        else
        {
            (await platform.PostAsJsonAsync("/orders/gone-order/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "gone" } } })).EnsureSuccessStatusCode();
        }

        // On a row never spread, the replay answers the ended hold and holds nothing.
        var plain = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "gone" });
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);

        using (var admin = service.Client())
        {
            (await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 8 })).EnsureSuccessStatusCode();
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var answers = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            using var replay = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "gone" });
            answers.Add($"{(int)replay.StatusCode}");
        }

        var reserved = (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64();
        using var read = await platform.GetAsync($"/inventory/{sku}/reserve/gone");
        var seen = (await TestService.ReadJsonAsync(read)).GetProperty("status").GetString();
        using var release = await platform.DeleteAsync($"/inventory/{sku}/reserve/gone");
        var afterRelease = (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64();
        var report = $"replays: {string.Join(",", answers)}; reserved after replays {reserved}; GET by id says {seen}; "
            + $"DELETE by id {(int)release.StatusCode}; reserved after it {afterRelease}";
        output.WriteLine(report);
        Assert.True(answers.All(a => a == "200") && reserved == 0 && afterRelease == 0, report);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sixty_shoppers_of_three_units_on_thirty_units_over_eight_sub_rows_get_exactly_ten_holds(bool fold)
    {
        var sku = await service.CreateProductAsync(stock: 30, threshold: 5);
        using (var admin = service.Client())
        {
            (await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 8 })).EnsureSuccessStatusCode();
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var platform = Platform();
        var shoppers = Enumerable.Range(0, 60).Select(i => platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = $"t-{i}", warehouse_id = "main" })).ToList();
        if (fold)
        {
            await Task.Delay(20);
            (await FoldAsync(sku)).EnsureSuccessStatusCode();
        }

        var answers = await Task.WhenAll(shoppers);
        var refusals = new List<string>();
        foreach (var refusal in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            refusals.Add($"{(int)refusal.StatusCode} {await refusal.Content.ReadAsStringAsync()}");
        }

        var row = await service.GetInventoryAsync(sku);
        var report = $"{Summary(answers.Select(a => a.StatusCode))}; reserved {row.GetProperty("reserved_count").GetInt64()}; "
            + $"refusals with units left: {refusals.Count(r => !r.Contains("\"available_count\":0"))}; first: {refusals.FirstOrDefault(r => !r.Contains("\"available_count\":0"))}";
        output.WriteLine(report);
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.Created) == 10, report);
        Assert.True(refusals.All(r => r.StartsWith("409") && r.Contains("insufficient_stock") && r.Contains("\"available_count\":0")), report);
        Assert.Equal(30, row.GetProperty("reserved_count").GetInt64());
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Sixty_four_clients_replaying_five_ids_across_marking_and_folding_hold_each_id_once()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 5);
        using var platform = Platform();
        var ids = Enumerable.Range(0, 5).Select(i => $"same-{i}").ToList();
        var expires = new ConcurrentDictionary<string, string>();
        foreach (var id in ids)
        {
            var held = await TestService.ReadJsonAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = id }));
            expires[id] = held.GetProperty("expires_at").GetString()!;
        }

        var wrong = new ConcurrentBag<string>();
        var sent = 0;
        async Task ReplayAsync(int worker, int round)
        {
            var id = ids[(worker + round) % ids.Count];
            using var answer = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = id });
            Interlocked.Increment(ref sent);
            var body = await answer.Content.ReadAsStringAsync();
            if (answer.StatusCode != HttpStatusCode.OK || JsonDocument.Parse(body).RootElement.GetProperty("expires_at").GetString() != expires[id])
            {
                wrong.Add($"{id}: {(int)answer.StatusCode} {body}");
            }
        }

        await using (var replays = new BackgroundClients(64, ReplayAsync))
        {
            await Task.Delay(300);
            var marks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => MarkHotAsync(sku, 4)));
            output.WriteLine("concurrent PUT hot: " + Summary(marks.Select(m => m.StatusCode)));
            Assert.Contains(marks, m => m.StatusCode == HttpStatusCode.OK);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            (await FoldAsync(sku)).EnsureSuccessStatusCode();
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await replays.StopAsync();
        }

        output.WriteLine($"{sent} replays, {wrong.Count} wrong");
        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(10, row.GetProperty("reserved_count").GetInt64());
        foreach (var id in ids)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}")).StatusCode);
        }

        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await Eventually.TrueAsync(async () => (await HotRowAsync(sku)).GetProperty("sub_rows").GetInt32() == 1, "the row folded back into one");
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_hundred_shoppers_on_twenty_units_while_the_row_is_marked_hot_get_exactly_twenty_holds(bool foldToo)
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 5);
        using var platform = Platform();
        var started = 0;
        var shoppers = Enumerable.Range(0, 200).Select(async i =>
        {
            await Task.Delay(i * 5);
            Interlocked.Increment(ref started);
            return await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"s-{i}" });
        }).ToList();

        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref started) >= 8), "some shoppers are in");
        var mark = await MarkHotAsync(sku, 8);
        output.WriteLine($"PUT hot: {(int)mark.StatusCode} {await mark.Content.ReadAsStringAsync()}");
        HttpResponseMessage? fold = null;
        if (foldToo)
        {
            fold = await FoldAsync(sku);
        }

        var answers = await Task.WhenAll(shoppers);
        output.WriteLine(Summary(answers.Select(a => a.StatusCode)) + (fold is null ? "" : $"; fold {(int)fold.StatusCode}"));
        Assert.True(mark.IsSuccessStatusCode);
        Assert.Equal(20, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        foreach (var refusal in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            Assert.Equal(0, (await TestService.AssertProblemAsync(refusal, 409, "insufficient_stock")).GetProperty("available_count").GetInt64());
        }

        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(20, row.GetProperty("reserved_count").GetInt64());
        Assert.Equal(0, row.GetProperty("available_count").GetInt64());
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_two_product_reservation_replayed_across_marking_one_product_hot_and_folding_it_holds_each_line_once()
    {
        var hotSku = await service.CreateProductAsync(stock: 40, threshold: 5);
        var plainSku = await service.CreateProductAsync(stock: 40, threshold: 5);
        using var platform = Platform();
        object Body(string id) => new { reservation_id = id, items = new object[] { new { product_id = hotSku, quantity = 3 }, new { product_id = plainSku, quantity = 2 } } };
        var firsts = new Dictionary<string, string>();
        foreach (var id in new[] { "multi-a", "multi-b", "multi-c" })
        {
            var made = await platform.PostAsJsonAsync("/reservations", Body(id));
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
            firsts[id] = (await TestService.ReadJsonAsync(made)).GetProperty("expires_at").GetString()!;
        }

        var wrong = new ConcurrentBag<string>();
        async Task ReplayAsync(int worker, int round)
        {
            var id = firsts.Keys.ElementAt((worker + round) % firsts.Count);
            using var answer = await platform.PostAsJsonAsync("/reservations", Body(id));
            var body = await answer.Content.ReadAsStringAsync();
            if (answer.StatusCode != HttpStatusCode.OK || JsonDocument.Parse(body).RootElement.GetProperty("expires_at").GetString() != firsts[id])
            {
                wrong.Add($"{id}: {(int)answer.StatusCode} {body}");
            }
        }

        await using (var replays = new BackgroundClients(32, ReplayAsync))
        {
            await Task.Delay(200);
            (await MarkHotAsync(hotSku, 4)).EnsureSuccessStatusCode();
            await Task.Delay(TimeSpan.FromSeconds(2.5));

            // A new two-product hold made while hot, replayed through the fold as well.
            var made = await platform.PostAsJsonAsync("/reservations", Body("multi-hot"));
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
            firsts["multi-hot"] = (await TestService.ReadJsonAsync(made)).GetProperty("expires_at").GetString()!;
            await Task.Delay(TimeSpan.FromSeconds(1));
            (await FoldAsync(hotSku)).EnsureSuccessStatusCode();
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await replays.StopAsync();
        }

        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
        Assert.Equal(12, (await service.GetInventoryAsync(hotSku)).GetProperty("reserved_count").GetInt64());
        Assert.Equal(8, (await service.GetInventoryAsync(plainSku)).GetProperty("reserved_count").GetInt64());
        foreach (var id in firsts.Keys)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{hotSku}/reserve/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{plainSku}/reserve/{id}")).StatusCode);
        }

        Assert.Equal(0, (await service.GetInventoryAsync(hotSku)).GetProperty("reserved_count").GetInt64());
        Assert.Equal(0, (await service.GetInventoryAsync(plainSku)).GetProperty("reserved_count").GetInt64());
        await service.AssertHistoryAsync([hotSku, plainSku], TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Pre_hot_holds_released_extended_and_sold_after_marking_and_hot_holds_during_folding_each_work_once()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 5);
        using var platform = Platform();
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = $"pre-{i}" })).StatusCode);
        }

        (await MarkHotAsync(sku, 4)).EnsureSuccessStatusCode();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // Twenty racing releases of pre-0, twenty racing extends of pre-1, and two different orders racing to sell pre-2.
        var releases = Enumerable.Range(0, 20).Select(_ => platform.DeleteAsync($"/inventory/{sku}/reserve/pre-0"));
        var extends = Enumerable.Range(0, 20).Select(_ => platform.PostAsJsonAsync($"/inventory/{sku}/reserve/pre-1/extend", new { ttl_seconds = 1800 }));
        var sales = Enumerable.Range(0, 10).Select(i => platform.PostAsJsonAsync($"/orders/pre-order-{i}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "pre-2" } } }));
        var released = await Task.WhenAll(releases);
        var extended = await Task.WhenAll(extends);
        var sold = await Task.WhenAll(sales);
        output.WriteLine($"release {Summary(released.Select(r => r.StatusCode))}; extend {Summary(extended.Select(r => r.StatusCode))}; sell {Summary(sold.Select(r => r.StatusCode))}");
        Assert.All(released, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        Assert.All(extended, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, sold.Count(s => s.StatusCode == HttpStatusCode.OK));
        Assert.All(sold, s => Assert.True(s.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{(int)s.StatusCode}"));

        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(98, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(8, row.GetProperty("reserved_count").GetInt64());

        // Hot-era holds, then the fold, and the same races on them while it folds back.
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"hot-{i}" })).StatusCode);
        }

        (await FoldAsync(sku)).EnsureSuccessStatusCode();
        var during = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 12; i++)
        {
            var id = $"hot-{i}";
            for (var k = 0; k < 8; k++)
            {
                during.Add((i % 3) switch
                {
                    0 => platform.DeleteAsync($"/inventory/{sku}/reserve/{id}"),
                    1 => platform.PostAsJsonAsync($"/inventory/{sku}/reserve/{id}/extend", new { ttl_seconds = 1800 }),
                    _ => platform.PostAsJsonAsync($"/orders/fold-order-{i}-{k}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = id } } }),
                });
            }
        }

        var answers = await Task.WhenAll(during);
        output.WriteLine("during fold: " + Summary(answers.Select(a => a.StatusCode)));
        Assert.All(answers, a => Assert.True((int)a.StatusCode < 500, $"{(int)a.StatusCode}"));
        var soldDuring = answers.Where((a, n) => (n / 8) % 3 == 2 && a.StatusCode == HttpStatusCode.OK).Count();
        Assert.Equal(4, soldDuring);

        row = await service.GetInventoryAsync(sku);
        // 98 - 4 sold; held: pre-1, pre-3..5 (2 each = 8) + hot-1,4,7,10 extended (4).
        Assert.Equal(94, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(12, row.GetProperty("reserved_count").GetInt64());
        foreach (var id in new[] { "pre-1", "pre-3", "pre-4", "pre-5", "hot-1", "hot-4", "hot-7", "hot-10" })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}")).StatusCode);
        }

        await Eventually.TrueAsync(async () => (await HotRowAsync(sku)).GetProperty("sub_rows").GetInt32() == 1, "the row folded back into one");
        row = await service.GetInventoryAsync(sku);
        Assert.Equal(94, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, row.GetProperty("reserved_count").GetInt64());
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Put_hot_racing_delete_hot_under_holds_and_releases_loses_and_invents_no_unit()
    {
        var sku = await service.CreateProductAsync(stock: 200, threshold: 5);
        using var platform = Platform();
        var failures = new ConcurrentBag<string>();
        var pairs = 0;
        async Task ShopAsync(int worker, int n)
        {
            var id = $"w{worker}-{n}";
            using var held = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id });
            if (held.StatusCode != HttpStatusCode.Created)
            {
                failures.Add($"hold {id}: {(int)held.StatusCode} {await held.Content.ReadAsStringAsync()}");
                return;
            }

            using var replay = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id });
            if (replay.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"replay {id}: {(int)replay.StatusCode}");
            }

            using var released = await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}");
            if (released.StatusCode != HttpStatusCode.NoContent)
            {
                failures.Add($"release {id}: {(int)released.StatusCode}");
            }

            Interlocked.Increment(ref pairs);
        }

        var admin = new List<string>();
        await using (var shoppers = new BackgroundClients(12, ShopAsync))
        {
            for (var round = 0; round < 6; round++)
            {
                var started = System.Diagnostics.Stopwatch.StartNew();
                var ops = await Task.WhenAll(MarkHotAsync(sku, 2 + (round % 3) * 3), FoldAsync(sku), MarkHotAsync(sku, 2 + (round % 3) * 3), FoldAsync(sku));
                admin.Add($"{string.Join("/", ops.Select(o => (int)o.StatusCode))} in {started.ElapsedMilliseconds} ms");
                foreach (var op in ops)
                {
                    Assert.True((int)op.StatusCode < 500, $"{(int)op.StatusCode} {await op.Content.ReadAsStringAsync()}");
                }

                await Task.Delay(700);
            }

            await shoppers.StopAsync();
        }

        output.WriteLine($"{pairs} hold/replay/release rounds; admin: {string.Join(" ", admin)}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));
        await FoldAsync(sku);
        await Eventually.TrueAsync(async () => (await HotRowAsync(sku)).GetProperty("sub_rows").GetInt32() == 1, "the row folded back into one");
        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(200, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, row.GetProperty("reserved_count").GetInt64());
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }
}
