using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Inventory.Api.Domain;
using Inventory.Api.Features.History;
using Inventory.Api.Storage;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The stock history under racing writes on one row, and across a SIGKILL of the service during them: no entry missing
/// or written twice, each row's entries in the order of its changes, and they add up to the row's counts once the
/// stream reader has caught up. Runs alone with the other contention tests.
/// </summary>
[Collection(nameof(ContentionTests))]
[Trait(Lanes.Name, Lanes.Load)]
public class HistoryRaceTests(TestService service) : IClassFixture<TestService>
{
    /// <summary>What the racing clients were told happened, by reservation or order id.</summary>
    private sealed class Outcomes
    {
        public ConcurrentDictionary<string, long> Held { get; } = new();

        public ConcurrentBag<string> Released { get; } = [];

        public ConcurrentDictionary<string, string> Sold { get; } = new(); // order id -> reservation id

        public int Answered;
    }

    /// <summary>One client's turn: hold 1-3 units, then release them, sell them or keep them (by <paramref name="n"/>).</summary>
    private static async Task HoldThenReleaseSellOrKeepAsync(HttpClient client, string sku, string id, int n, Outcomes seen)
    {
        var quantity = 1 + (n % 3);
        using var hold = await client.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity, reservation_id = id, warehouse_id = "main" });
        Interlocked.Increment(ref seen.Answered);
        Assert.True(hold.StatusCode == HttpStatusCode.Created, $"hold {id}: {(int)hold.StatusCode} {await hold.Content.ReadAsStringAsync()}");
        seen.Held[id] = quantity;
        switch (n % 3)
        {
            case 0:
                using (var release = await client.DeleteAsync($"/inventory/{sku}/reserve/{id}"))
                {
                    Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
                    seen.Released.Add(id);
                }

                break;
            case 1:
                var order = "o-" + id;
                using (var sale = await client.PostAsJsonAsync($"/orders/{order}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = id } } }))
                {
                    Assert.Equal(HttpStatusCode.OK, sale.StatusCode);
                    seen.Sold[order] = id;
                }

                break;
        }

        Interlocked.Increment(ref seen.Answered);
    }

    /// <summary>
    /// The row's entries (oldest first) hold each answered hold, release and sale exactly once, each hold before what
    /// ended it; with <paramref name="exact"/> (nothing was cut off) they hold nothing else either.
    /// </summary>
    private static void AssertEveryAnsweredMoveOnce(List<HistoryEntryView> entries, Outcomes seen, bool exact)
    {
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(MoveKind.CREATE, entries[0].Kind);

        void Once(MoveKind kind, IEnumerable<string> answered)
        {
            var references = entries.Where(e => e.Kind == kind).Select(e => e.Reference!).ToList();
            var twice = references.GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{kind} entries written twice: {string.Join(", ", twice.Take(10))}");
            var missing = answered.Except(references).ToList();
            Assert.True(missing.Count == 0, $"{kind} answered but not in the history: {string.Join(", ", missing.Take(10))}");
            if (exact)
            {
                Assert.Equal(answered.Order(StringComparer.Ordinal), references.Order(StringComparer.Ordinal));
            }
        }

        Once(MoveKind.HOLD, seen.Held.Keys);
        Once(MoveKind.RELEASE, seen.Released);
        Once(MoveKind.SALE, seen.Sold.Keys);

        var holds = entries.Where(e => e.Kind == MoveKind.HOLD).ToDictionary(e => e.Reference!);
        foreach (var (id, quantity) in seen.Held)
        {
            Assert.Equal(quantity, holds[id].Quantity);
        }

        foreach (var ended in entries.Where(e => e.Kind is MoveKind.RELEASE or MoveKind.SALE))
        {
            var hold = holds[ended.Kind == MoveKind.SALE ? ended.Reference!["o-".Length..] : ended.Reference!];
            Assert.True(hold.Sequence < ended.Sequence, $"{ended.Kind} {ended.Reference} (entry {ended.Sequence}) comes before its hold (entry {hold.Sequence})");
            Assert.Equal(hold.Quantity, ended.Quantity);
        }
    }

    /// <summary>Where the entries, added up from zero, leave the row: its counts.</summary>
    private static StockCounts Sum(List<HistoryEntryView> entries) => new(
        entries.Sum(e => e.After.StockCount - e.Before.StockCount),
        entries.Sum(e => e.After.ReservedCount - e.Before.ReservedCount),
        entries.Sum(e => e.After.AvailableCount - e.Before.AvailableCount),
        entries.Sum(e => e.After.ThresholdLevel - e.Before.ThresholdLevel));

    [Fact]
    public async Task Six_hundred_racing_holds_with_their_releases_and_sales_on_one_row_leave_one_entry_each_in_order_adding_up_to_the_counts()
    {
        var sku = await service.CreateProductAsync(stock: 5000, threshold: 50);
        using var platform = service.Client(TestService.ReserveKey);
        var seen = new Outcomes();

        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (n, _) =>
            await HoldThenReleaseSellOrKeepAsync(platform, sku, $"r{n}", n, seen));

        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
        await service.AssertInvariantsAsync(sku);
        using var admin = service.Api();
        var entries = await admin.HistoryAsync(sku);
        entries.Reverse();
        Assert.Equal(2 + 600 + 200 + 200, entries.Count); // created, stocked, every hold, and a third each released and sold
        AssertEveryAnsweredMoveOnce(entries, seen, exact: true);

        var row = (await admin.InventoryAsync(sku)).Warehouses.Single();
        var counts = new StockCounts(row.StockCount, row.ReservedCount, row.AvailableCount, row.ThresholdLevel);
        Assert.Equal(counts, Sum(entries));
        Assert.Equal(counts, new StockCounts(entries[^1].After.StockCount, entries[^1].After.ReservedCount, entries[^1].After.AvailableCount, entries[^1].After.ThresholdLevel));
    }

    [Fact]
    public async Task A_kill_9_during_racing_writes_leaves_every_rows_history_complete_once_and_in_order_after_the_restart()
    {
        var prefix = "h" + Guid.NewGuid().ToString("N")[..10];
        var dynamoUrl = await SharedDynamoDb.ServiceUrlAsync();
        var args = CrashTests.ProcessArgs(prefix, dynamoUrl);
        var skus = Enumerable.Range(0, 3).Select(i => $"hist-{prefix}-{i}").ToArray();
        var seen = skus.ToDictionary(s => s, _ => new Outcomes());

        async Task RaceAsync(Uri address, string run, CancellationToken stop) =>
            await Task.WhenAll(Enumerable.Range(0, 32).Select(async worker =>
            {
                using var client = CrashTests.Client(address);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var sku = skus[(worker + n) % skus.Length];
                    try
                    {
                        await HoldThenReleaseSellOrKeepAsync(client, sku, $"{run}-{worker}-{n}", n, seen[sku]);
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(10); // the service was killed under this call: whatever it did, nobody was told
                    }
                    catch (TaskCanceledException)
                    {
                    }
                }
            }));

        int Answered() => seen.Values.Sum(s => Volatile.Read(ref s.Answered));

        await using (var first = await ServiceProcess.StartAsync(args))
        {
            using var admin = CrashTests.Client(first.Address);
            foreach (var sku in skus)
            {
                (await admin.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = 20 })).EnsureSuccessStatusCode();
                (await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 100_000, expected_version = 1 })).EnsureSuccessStatusCode();
            }

            using var stop = new CancellationTokenSource();
            var load = RaceAsync(first.Address, "a", stop.Token);
            await Eventually.TrueAsync(() => Task.FromResult(Answered() >= 600), "the first service has answered 600 writes", TimeSpan.FromSeconds(60));
            await first.KillAsync();
            await stop.CancelAsync();
            await load;
        }

        await using var second = await ServiceProcess.StartAsync(args);
        using (var stop = new CancellationTokenSource())
        {
            var before = Answered();
            var load = RaceAsync(second.Address, "b", stop.Token);
            await Eventually.TrueAsync(() => Task.FromResult(Answered() >= before + 300), "the second service has answered 300 writes", TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await load;
        }

        using var staff = new InventoryClient(CrashTests.Client(second.Address));
        using var dynamo = FaultInjectingDynamoDb.For(dynamoUrl);
        foreach (var sku in skus)
        {
            // The drift report calls a row changed in the last 10 s unsettled (its history may still be on its way), so
            // first wait until the newest entry is the row's latest move, as the row itself numbers it.
            var row = await dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
            {
                TableName = $"{prefix}-inventory",
                Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
                ConsistentRead = true,
            });
            var moves = long.Parse(row.Item["move_seq"].N, System.Globalization.CultureInfo.InvariantCulture);
            await Eventually.TrueAsync(
                async () => (await staff.HistoryPageAsync(sku, "limit=1")).Ok.Items is [var newest, ..] && newest.Sequence == moves,
                $"the history of {sku} reaches its move {moves}", TimeSpan.FromSeconds(60));

            // Once, complete, continuous, consistent, ending at the row's latest move and adding up to its counts.
            var report = (await InventoryClient.ReadAsync<InvariantReport>(await staff.Http.GetAsync($"/admin/invariants?product_id={sku}&history=true"))).Ok;
            Assert.True(report.Holds, string.Join("; ", report.Violations.Take(10).Select(v => $"{v.Rule}: {v.Detail}")));

            var entries = await staff.HistoryAsync(sku);
            entries.Reverse();
            Assert.True(entries.Count > 100, $"{sku}: only {entries.Count} entries");
            AssertEveryAnsweredMoveOnce(entries, seen[sku], exact: false);
            var counts = (await staff.InventoryAsync(sku)).Warehouses.Single();
            Assert.Equal(moves, entries[^1].Sequence);
            Assert.Equal(new StockCounts(counts.StockCount, counts.ReservedCount, counts.AvailableCount, counts.ThresholdLevel), Sum(entries));
        }
    }
}
