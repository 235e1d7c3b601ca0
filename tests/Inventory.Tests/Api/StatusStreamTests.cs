using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Api;

/// <summary>
/// Stock writes change counts only; the stored status and the alerts follow from the table's change stream. The
/// request path is one write whatever the status does, a write is never refused or retried because of a status, and
/// every row's alerts form one chain ending at its stored status.
/// </summary>
public class StatusStreamTests(FaultyService service) : IClassFixture<FaultyService>
{
    /// <summary>The product's alerts, oldest first, after the first <paramref name="skip"/> (stocking a new product is one: OUT to IN).</summary>
    private async Task<List<JsonElement>> AlertsFor(string sku, int skip = 1) => (await service.AlertsForAsync(sku)).Skip(skip).ToList();

    /// <summary>Waits until the stored status of the product's "main" row is the one its counts imply, and returns it.</summary>
    private async Task<string> SettledStatusAsync(string sku)
    {
        var item = await Eventually.ValueAsync(() => service.StoredRowAsync(sku), i => i["status"].S == Implied(i), $"the stored status of {sku} follows its counts");
        return item["status"].S;
    }

    private static string Implied(Dictionary<string, AttributeValue> item)
    {
        long N(string name) => long.Parse(item[name].N, System.Globalization.CultureInfo.InvariantCulture);
        return StockRules.StatusFor(N("available_count"), N("threshold_level")).ToString();
    }

    [Fact]
    public async Task A_hold_that_moves_the_status_gets_its_stored_status_and_one_alert_and_its_release_moves_it_back()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "big", warehouse_id = "main" })).EnsureSuccessStatusCode();
        Assert.Equal("LOW_STOCK", await SettledStatusAsync(sku));
        var alerts = await Eventually.ValueAsync(() => AlertsFor(sku), a => a.Count >= 1, "the IN to LOW alert");
        var alert = Assert.Single(alerts);
        Assert.Equal("IN_STOCK", alert.GetProperty("old_status").GetString());
        Assert.Equal("LOW_STOCK", alert.GetProperty("new_status").GetString());
        Assert.Equal(4, alert.GetProperty("available_count").GetInt64());

        (await platform.DeleteAsync($"/inventory/{sku}/reserve/big")).EnsureSuccessStatusCode();
        Assert.Equal("IN_STOCK", await SettledStatusAsync(sku));
        var back = await Eventually.ValueAsync(() => AlertsFor(sku), a => a.Count >= 2, "the LOW to IN alert");
        Assert.Equal(2, back.Count);
        Assert.Equal("LOW_STOCK", back[1].GetProperty("old_status").GetString());
        Assert.Equal("IN_STOCK", back[1].GetProperty("new_status").GetString());
    }

    /// <summary>Every kind of write, landing exactly on each edge between two statuses and just beside it.</summary>
    [Theory]
    [InlineData(10, 5, 4, "IN_STOCK")]
    [InlineData(10, 5, 5, "LOW_STOCK")]
    [InlineData(10, 5, 9, "LOW_STOCK")]
    [InlineData(10, 5, 10, "OUT_OF_STOCK")]
    [InlineData(10, 0, 9, "IN_STOCK")]
    [InlineData(10, 0, 10, "OUT_OF_STOCK")]
    [InlineData(6, 6, 1, "LOW_STOCK")]
    public async Task Each_write_leads_to_the_status_its_counts_imply_on_and_beside_every_edge(long stock, long threshold, long taken, string expected)
    {
        var sku = await service.CreateProductAsync(stock, threshold);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        var initial = await SettledStatusAsync(sku);

        // A hold, then its release.
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = taken, reservation_id = "edge", warehouse_id = "main" })).EnsureSuccessStatusCode();
        Assert.Equal(expected, await SettledStatusAsync(sku));
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/edge")).EnsureSuccessStatusCode();
        Assert.Equal(initial, await SettledStatusAsync(sku));

        // A write-off, then the receipt that undoes it.
        foreach (var (delta, status) in new[] { (-taken, expected), (taken, initial) })
        {
            using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { warehouse_id = "main", delta, reason = "count" }),
            };
            adjust.Headers.Add("Idempotency-Key", $"edge-{delta}");
            (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();
            Assert.Equal(status, await SettledStatusAsync(sku));
        }

        // The admin's absolute write down to the edge and back, with a hold of one unit in place.
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "in-place", warehouse_id = "main" })).EnsureSuccessStatusCode();
        var beforePut = await SettledStatusAsync(sku);
        foreach (var (count, status) in new[] { (stock - taken + 1, expected), (stock, beforePut) })
        {
            var version = (await service.GetInventoryAsync(sku)).GetProperty("warehouses")[0].GetProperty("version").GetInt64();
            (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "main", stock_count = count, expected_version = version })).EnsureSuccessStatusCode();
            Assert.Equal(status, await SettledStatusAsync(sku));
        }

        // A direct sale of the same units.
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/in-place")).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/orders/edge-{sku}/fulfil", new { lines = new[] { new { product_id = sku, quantity = taken, warehouse_id = "main" } } }))
            .EnsureSuccessStatusCode();
        Assert.Equal(expected, await SettledStatusAsync(sku));
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task Hundreds_of_racing_writes_across_the_threshold_are_never_refused_for_a_status_and_leave_one_chain_of_alerts()
    {
        var sku = await service.CreateProductAsync(stock: 40, threshold: 20);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();

        // 300 holds of 1-3 units (the row runs between IN, LOW and OUT), each of the first 200 released again after
        // it is answered, and 40 adjustments of +/-2 by the admin. Without faults nothing may be busy.
        var holds = Enumerable.Range(0, 300).Select(async i =>
        {
            var id = $"race-{i}";
            using var response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1 + (i % 3), reservation_id = id, warehouse_id = "main" });
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"hold {i}: {response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.Created && i < 200)
            {
                using var release = await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}");
                Assert.True(release.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK, $"release {i}: {release.StatusCode}");
            }
        });
        var adjustments = Enumerable.Range(0, 40).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { warehouse_id = "main", delta = i % 2 == 0 ? 2 : -2, reason = "count" }),
            };
            request.Headers.Add("Idempotency-Key", $"adj-{i}");
            using var response = await admin.SendAsync(request);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Conflict, $"adjustment {i}: {response.StatusCode}");
        });
        await Task.WhenAll(holds.Concat(adjustments));

        var alerts = await AlertsOnceTheStreamIsHandledAsync(() => service.AlertsForAsync(sku), await MovesInTheStreamAsync(sku));
        var final = await SettledStatusAsync(sku);
        await service.AssertInvariantsAsync(sku);
        AssertOneChain(alerts, "OUT_OF_STOCK", final, minimum: 3);
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task A_fifty_item_order_racing_single_unit_holds_across_the_threshold_commits_and_every_row_gets_its_status()
    {
        var skus = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => service.CreateProductAsync(stock: 20, threshold: 10)));
        using var platform = service.Client(TestService.ReserveKey);

        // Two clients hold and release single units on the same rows while six 50-item orders each take 2 units of
        // every row: the orders push every row from IN to LOW and beyond.
        using var stop = new CancellationTokenSource();
        var churn = Enumerable.Range(0, 2).Select(c => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var sku = skus[(n * 7 + c) % skus.Length];
                using var hold = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"c{c}-{n}", warehouse_id = "main" });
                Assert.True(hold.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"single hold: {hold.StatusCode}");
                if (hold.StatusCode == HttpStatusCode.Created)
                {
                    (await platform.DeleteAsync($"/inventory/{sku}/reserve/c{c}-{n}")).EnsureSuccessStatusCode();
                }
            }
        })).ToList();

        var orders = await Task.WhenAll(Enumerable.Range(0, 6).Select(o => platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = $"order-{o}",
            items = skus.Select(sku => new { product_id = sku, quantity = 2, warehouse_id = "main" }),
        })));
        await stop.CancelAsync();
        await Task.WhenAll(churn);

        Assert.All(orders, o => Assert.Equal(HttpStatusCode.Created, o.StatusCode));
        foreach (var sku in skus)
        {
            Assert.Equal("LOW_STOCK", await SettledStatusAsync(sku)); // 20 - 12 = 8 available against threshold 10
        }

        await service.AssertInvariantsAsync(skus);
        foreach (var sku in skus)
        {
            AssertOneChain(await service.AlertsForAsync(sku), "OUT_OF_STOCK", "LOW_STOCK", minimum: 2);
        }
    }

    [Fact]
    public async Task Right_after_a_fifty_item_hold_no_row_whose_counts_say_low_is_listed_as_in_stock()
    {
        var skus = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => service.CreateProductAsync(stock: 10, threshold: 5)));
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();

        var order = await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "wholesale",
            items = skus.Select(sku => new { product_id = sku, quantity = 6, warehouse_id = "main" }),
        });
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        var listed = new List<string>();
        string? token = null;
        do
        {
            var page = await TestService.ReadJsonAsync(await admin.GetAsync("/inventory?status=IN_STOCK&limit=100" + (token is null ? "" : "&next_token=" + token)));
            listed.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("product_id").GetString()!));
            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);

        Assert.Empty(listed.Intersect(skus)); // a listing shows a row under a status only while its counts say so
        foreach (var sku in skus)
        {
            Assert.Equal("LOW_STOCK", await SettledStatusAsync(sku));
        }
    }

    [Fact]
    public async Task A_status_write_that_fails_mid_batch_is_retried_from_its_record_and_writes_no_alert_twice()
    {
        var skus = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => service.CreateProductAsync(stock: 10, threshold: 5)));
        foreach (var sku in skus)
        {
            await SettledStatusAsync(sku);
        }

        using var platform = service.Client(TestService.ReserveKey);

        // Every status write fails for a while, longer than the retries of one attempt: the reader gives up on the
        // batch, resumes from its checkpoint, and hands the same records over again.
        service.Faults.InjectedCode = "ThrottlingError";
        service.Faults.FailNext(12, after: 0);
        try
        {
            await Task.WhenAll(skus.Select(sku => platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "h", warehouse_id = "main" })));
        }
        finally
        {
            await Eventually.TrueAsync(() => Task.FromResult(service.Faults.Injected >= 12), "the injected failures are used up");
            service.Faults.FailNext(0);
            service.Faults.InjectedCode = "TransactionConflict";
        }

        foreach (var sku in skus)
        {
            var held = (await service.GetInventoryAsync(sku)).GetProperty("warehouses")[0].GetProperty("reserved_count").GetInt64();
            var expected = held == 6 ? "LOW_STOCK" : "IN_STOCK";
            Assert.Equal(expected, await SettledStatusAsync(sku));
            AssertOneChain(await service.AlertsForAsync(sku), "OUT_OF_STOCK", expected, minimum: 1);
        }
    }

    /// <summary>Every status move the row's counts made, in the order of the table's change stream.</summary>
    private async Task<List<string>> MovesInTheStreamAsync(string sku)
    {
        var table = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable;
        var arn = (await service.Dynamo.DescribeTableAsync(table)).Table.LatestStreamArn;
        return await new DynamoStreams(await SharedDynamoDb.ServiceUrlAsync()).TransitionsAsync(arn, sku);
    }

    /// <summary>
    /// The row's alerts once they are exactly the status moves its counts made in the stream (<paramref name="moves"/>),
    /// in order: none lost and none twice. The stored status can match the counts while the reader is still working
    /// through a backlog (a row back where it was), so the wait is on the alerts themselves; if they never match, the
    /// comparison says how they differ.
    /// </summary>
    internal static async Task<List<JsonElement>> AlertsOnceTheStreamIsHandledAsync(Func<Task<List<JsonElement>>> read, List<string> moves)
    {
        static IEnumerable<string> Moves(IEnumerable<JsonElement> alerts) =>
            alerts.Select(a => a.GetProperty("old_status").GetString() + ">" + a.GetProperty("new_status").GetString());

        var alerts = await read();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Moves(alerts).SequenceEqual(moves) && clock.Elapsed < Eventually.DefaultTimeout)
        {
            await Task.Delay(50);
            alerts = await read();
        }

        Assert.Equal(moves, Moves(alerts));
        return alerts;
    }

    /// <summary>The alerts are one chain from <paramref name="first"/>: each starts where the previous ended, and the last ends at the stored status.</summary>
    internal static void AssertOneChain(IReadOnlyList<JsonElement> alerts, string first, string final, int minimum)
    {
        var chain = string.Join("\n", alerts.Select(a =>
            $"{a.GetProperty("created_at").GetString()} {a.GetProperty("old_status").GetString()}>{a.GetProperty("new_status").GetString()} available {a.GetProperty("available_count").GetInt64()}"));
        Assert.True(alerts.Count >= minimum, $"only {alerts.Count} transitions, expected at least {minimum}:\n{chain}");
        var status = first;
        foreach (var alert in alerts)
        {
            Assert.True(status == alert.GetProperty("old_status").GetString(), "The alerts do not form one chain:\n" + chain);
            status = alert.GetProperty("new_status").GetString()!;
            Assert.NotEqual(alert.GetProperty("old_status").GetString(), status);
            Assert.Equal(status, StockRules.StatusFor(alert.GetProperty("available_count").GetInt64(), alert.GetProperty("threshold_level").GetInt64()).ToString());
        }

        Assert.True(final == status, $"The chain ends at {status}, the row stores {final}:\n{chain}");
        var ids = alerts.Select(a => a.GetProperty("alert_id").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}

/// <summary>A service whose clock never moves: every write happens in the same millisecond.</summary>
public sealed class FrozenClockService : TestService
{
    private sealed class FrozenClock : TimeProvider
    {
        private readonly DateTimeOffset now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => now;
    }

    protected override void OverrideServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(new FrozenClock());
}

public class TransitionOrderTests(FrozenClockService service) : IClassFixture<FrozenClockService>
{
    [Fact]
    public async Task A_rows_transitions_within_one_millisecond_are_listed_in_the_order_they_happened()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5); // OUT_OF_STOCK to IN_STOCK
        using var platform = service.Client(TestService.ReserveKey);
        for (var round = 0; round < 3; round++)
        {
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = $"r{round}", warehouse_id = "main" })).EnsureSuccessStatusCode();
            (await platform.DeleteAsync($"/inventory/{sku}/reserve/r{round}")).EnsureSuccessStatusCode();
        }

        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 7, "all seven transitions are recorded");

        Assert.Equal(
            ["OUT_OF_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>IN_STOCK"],
            alerts.Select(a => a.GetProperty("old_status").GetString() + ">" + a.GetProperty("new_status").GetString()));
        var times = alerts.Select(a => a.GetProperty("created_at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(times.Count, times.Distinct().Count());
    }
}

/// <summary>A service with a request-counting DynamoDB client and no stream reader, so only the request path is counted.</summary>
public sealed class RequestCountingService : FaultInjectingService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:ReadStreamInProcess=false"];
}

public class RequestPathTests(RequestCountingService service) : IClassFixture<RequestCountingService>
{
    [Fact]
    public async Task A_hold_is_one_request_whether_or_not_it_moves_the_status_and_a_release_one_read_and_one_transaction()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.TakeRequestsFor(sku);

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "small", warehouse_id = "main" })).EnsureSuccessStatusCode();
        var usual = service.Faults.TakeRequestsFor(sku);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "crossing", warehouse_id = "main" })).EnsureSuccessStatusCode();
        var crossing = service.Faults.TakeRequestsFor(sku);
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/small")).EnsureSuccessStatusCode();
        var release = service.Faults.TakeRequestsFor(sku);

        Assert.Equal(["TransactWriteItems"], usual);
        Assert.Equal(["TransactWriteItems"], crossing); // the status moves, the request path does not care
        Assert.Equal(["GetItem", "TransactWriteItems"], release); // the hold record says what to give back
    }
}

/// <summary>
/// The stream function's batches reaching the service late (Lambda throttled or retrying a failing batch for longer
/// than the repair's quiet period: the mapping retries for up to an hour), after the threshold check has already
/// repaired the row. Fed through POST /events exactly as the stream function receives them.
/// </summary>
public class LateStreamTests(NoStreamService service) : IClassFixture<NoStreamService>
{
    /// <summary>
    /// Posts the row's change records not posted yet (after <paramref name="posted"/>) as one Lambda stream batch, each
    /// naming <paramref name="sourceTable"/> (default: the stock table) as its source; returns how many there are now.
    /// </summary>
    private async Task<int> DeliverAsync(string sku, int posted, string? sourceTable = null)
    {
        var table = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable;
        var arn = (await service.Dynamo.DescribeTableAsync(table)).Table.LatestStreamArn;
        var records = (await new DynamoStreams(await SharedDynamoDb.ServiceUrlAsync()).ReadAllAsync(arn))
            .Where(r => r["dynamodb"]?["Keys"]?["product_id"]?["S"]?.GetValue<string>() == sku)
            .ToList();
        foreach (var record in records)
        {
            record["eventSourceARN"] = $"arn:aws:dynamodb:eu-west-1:123456789012:table/{sourceTable ?? table}/stream/2026-11-29T00:00:00.000";
        }

        var batch = new System.Text.Json.Nodes.JsonObject { ["Records"] = new System.Text.Json.Nodes.JsonArray([.. records.Skip(posted)]) };
        using var runtime = service.Client(); // outside the Web Adapter, /events takes the admin key
        var answer = await TestService.ReadJsonAsync(await runtime.PostAsync("/events", TestService.RawJson(batch.ToJsonString())));
        Assert.Empty(answer.GetProperty("batchItemFailures").EnumerateArray());
        return records.Count;
    }

    [Fact]
    public async Task Records_from_another_tables_stream_are_not_read_as_stock_rows()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5); // stored OUT_OF_STOCK until a record is handled

        await DeliverAsync(sku, 0, sourceTable: "some-other-table");
        Assert.Equal("OUT_OF_STOCK", await service.StoredStatusAsync(sku));

        await DeliverAsync(sku, 0);
        Assert.Equal("IN_STOCK", await service.StoredStatusAsync(sku));
    }

    [Fact]
    public async Task Changes_the_repair_already_covered_reaching_the_handler_late_neither_move_the_status_back_nor_alert_again()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        var posted = await DeliverAsync(sku, 0); // OUT to IN
        Assert.Equal("IN_STOCK", await service.StoredStatusAsync(sku));

        // IN to LOW to OUT; the batch carrying them is held up (throttled, retried) past the quiet period...
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "low", warehouse_id = "main" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "out", warehouse_id = "main" })).EnsureSuccessStatusCode();

        // ...so the threshold check repairs the quiet row: OUT, with the IN to OUT alert.
        using var admin = service.Client();
        (await admin.PostAsync("/admin/threshold-check", null)).EnsureSuccessStatusCode();
        Assert.Equal("OUT_OF_STOCK", await service.StoredStatusAsync(sku));

        // Then the held-up batch gets through.
        await DeliverAsync(sku, posted);

        Assert.Equal("OUT_OF_STOCK", await service.StoredStatusAsync(sku));
        var alerts = await service.AlertsForAsync(sku);
        StatusStreamTests.AssertOneChain(alerts, "OUT_OF_STOCK", "OUT_OF_STOCK", minimum: 2);
        Assert.Equal(
            ["OUT_OF_STOCK>IN_STOCK", "IN_STOCK>OUT_OF_STOCK"],
            alerts.Select(a => a.GetProperty("old_status").GetString() + ">" + a.GetProperty("new_status").GetString()));
    }
}

/// <summary>
/// DynamoDB Local, started again on its data directory after 30 hours without a write (a weekend between two
/// `make start`), deletes every change record and numbers new ones from 1 again, so rows keep the sequence numbers
/// of records far "ahead" of every new one. Simulated on the row: a high sequence number written long ago.
/// </summary>
public class RestartedNumberingTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task A_row_whose_status_was_written_before_the_streams_numbering_started_again_still_follows_its_counts()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        await service.Dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable,
            Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
            UpdateExpression = "SET #seq = :seq, #sc = :sc",
            ExpressionAttributeNames = new() { ["#seq"] = "status_sequence", ["#sc"] = "status_changed_at" },
            ExpressionAttributeValues = new()
            {
                [":seq"] = new() { S = Inventory.Api.Projections.StatusProjection.SequenceKey("000000000000099999999") },
                [":sc"] = new() { S = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) },
            },
        });
        using var platform = service.Client(TestService.ReserveKey);

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "after-restart", warehouse_id = "main" })).EnsureSuccessStatusCode();

        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "LOW_STOCK", "the stored status follows the hold");
        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 2, "the IN to LOW alert");
        StatusStreamTests.AssertOneChain(alerts, "OUT_OF_STOCK", "LOW_STOCK", minimum: 2);
    }
}
