using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Api;

/// <summary>
/// Every stock write stores the status its counts imply in the same write: the usual hold or release is one
/// request, a write that moves the status commits it with its alert, and no committed state is ever stale.
/// </summary>
public class StatusInTheWriteTests(FaultyService service) : IClassFixture<FaultyService>
{
    /// <summary>The product's alerts, oldest first, after the first <paramref name="skip"/> (stocking a new product is one: OUT to IN).</summary>
    private async Task<List<JsonElement>> AlertsFor(string sku, int skip = 1) => (await service.AlertsForAsync(sku)).Skip(skip).ToList();

    private Task<Dictionary<string, AttributeValue>> StoredRowAsync(string sku) => service.StoredRowAsync(sku);

    /// <summary>The stored row's status and headroom are what its counts imply; returns the status.</summary>
    private static string AssertExact(Dictionary<string, AttributeValue> item)
    {
        long N(string name) => long.Parse(item[name].N, System.Globalization.CultureInfo.InvariantCulture);
        var expected = StockRules.StatusFor(N("available_count"), N("threshold_level")).ToString();
        Assert.Equal(expected, item["status"].S);
        Assert.Equal(N("available_count") - N("threshold_level"), N("threshold_headroom"));
        return expected;
    }

    [Fact]
    public async Task A_usual_hold_is_one_request_and_its_release_one_read_and_one_transaction()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.TakeRequestsFor(sku);

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "one", warehouse_id = "main" })).EnsureSuccessStatusCode();
        var hold = service.Faults.TakeRequestsFor(sku);
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/one")).EnsureSuccessStatusCode();
        var release = service.Faults.TakeRequestsFor(sku);

        Assert.Equal(["TransactWriteItems"], hold);
        Assert.Equal(["GetItem", "TransactWriteItems"], release); // the hold record says what to give back
        Assert.Equal("IN_STOCK", AssertExact(await StoredRowAsync(sku)));
    }

    [Fact]
    public async Task A_hold_that_moves_the_status_commits_it_and_its_alert_before_answering_and_its_release_moves_it_back()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.TakeRequestsFor(sku);

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "big", warehouse_id = "main" })).EnsureSuccessStatusCode();
        var hold = service.Faults.TakeRequestsFor(sku);

        // No waiting: the status and the alert are part of the write that was answered.
        Assert.Equal(["TransactWriteItems", "TransactWriteItems"], hold); // the usual write is refused by DynamoDB, the pinned one commits
        Assert.Equal("LOW_STOCK", AssertExact(await StoredRowAsync(sku)));
        var alert = Assert.Single(await AlertsFor(sku));
        Assert.Equal("IN_STOCK", alert.GetProperty("old_status").GetString());
        Assert.Equal("LOW_STOCK", alert.GetProperty("new_status").GetString());
        Assert.Equal(4, alert.GetProperty("available_count").GetInt64());

        (await platform.DeleteAsync($"/inventory/{sku}/reserve/big")).EnsureSuccessStatusCode();
        Assert.Equal("IN_STOCK", AssertExact(await StoredRowAsync(sku)));
        var back = await AlertsFor(sku);
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
    public async Task Each_write_stores_the_status_its_counts_imply_on_and_beside_every_edge(long stock, long threshold, long taken, string expected)
    {
        var sku = await service.CreateProductAsync(stock, threshold);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        var initial = AssertExact(await StoredRowAsync(sku));

        // A hold, then its release.
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = taken, reservation_id = "edge", warehouse_id = "main" })).EnsureSuccessStatusCode();
        Assert.Equal(expected, AssertExact(await StoredRowAsync(sku)));
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/edge")).EnsureSuccessStatusCode();
        Assert.Equal(initial, AssertExact(await StoredRowAsync(sku)));

        // A write-off, then the receipt that undoes it.
        foreach (var (delta, status) in new[] { (-taken, expected), (taken, initial) })
        {
            using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { warehouse_id = "main", delta, reason = "count" }),
            };
            adjust.Headers.Add("Idempotency-Key", $"edge-{delta}");
            (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();
            Assert.Equal(status, AssertExact(await StoredRowAsync(sku)));
        }

        // The admin's absolute write down to the edge and back, with a hold of one unit in place.
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "in-place", warehouse_id = "main" })).EnsureSuccessStatusCode();
        var beforePut = AssertExact(await StoredRowAsync(sku));
        foreach (var (count, status) in new[] { (stock - taken + 1, expected), (stock, beforePut) })
        {
            var version = (await service.GetInventoryAsync(sku)).GetProperty("warehouses")[0].GetProperty("version").GetInt64();
            (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "main", stock_count = count, expected_version = version })).EnsureSuccessStatusCode();
            Assert.Equal(status, AssertExact(await StoredRowAsync(sku)));
        }

        // A direct sale of the same units.
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/in-place")).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/orders/edge-{sku}/fulfil", new { lines = new[] { new { product_id = sku, quantity = taken, warehouse_id = "main" } } }))
            .EnsureSuccessStatusCode();
        Assert.Equal(expected, AssertExact(await StoredRowAsync(sku)));
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task While_hundreds_of_racing_writes_cross_the_threshold_every_committed_state_stores_its_exact_status()
    {
        var sku = await service.CreateProductAsync(stock: 40, threshold: 20);
        var initial = AssertExact(await StoredRowAsync(sku));
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();

        // A reader checks the row, strongly consistent, for as long as the writers run: a stored status that lags
        // its counts, even for a moment, fails the test.
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                AssertExact(await StoredRowAsync(sku));
                reads++;
            }
        });

        // 300 holds of 1-3 units (the row runs between IN, LOW and OUT), each of the first 200 released again
        // after it is answered, and 40 adjustments of +/-2 by the admin.
        var holds = Enumerable.Range(0, 300).Select(async i =>
        {
            var id = $"race-{i}";
            using var response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1 + (i % 3), reservation_id = id, warehouse_id = "main" });
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable, $"hold {i}: {response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.Created && i < 200)
            {
                using var release = await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}");
                Assert.True(release.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"release {i}: {release.StatusCode}");
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
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable,
                $"adjustment {i}: {response.StatusCode}");
        });
        await Task.WhenAll(holds.Concat(adjustments));
        await stop.CancelAsync();
        await reader;

        Assert.True(reads > 10, $"the reader saw only {reads} states");
        var final = AssertExact(await StoredRowAsync(sku));
        await service.AssertInvariantsAsync(sku);

        // The alerts are one chain from the first stored status to the last: each transition recorded once.
        var alerts = await AlertsFor(sku);
        Assert.True(alerts.Count >= 2, $"only {alerts.Count} transitions: the test did not cross the threshold");
        var chain = string.Join("\n", alerts.Select(a =>
            $"{a.GetProperty("created_at").GetString()} {a.GetProperty("old_status").GetString()}>{a.GetProperty("new_status").GetString()} available {a.GetProperty("available_count").GetInt64()}"));
        var status = initial;
        foreach (var alert in alerts)
        {
            Assert.True(status == alert.GetProperty("old_status").GetString(), "The alerts do not form one chain:\n" + chain);
            status = alert.GetProperty("new_status").GetString()!;
            Assert.NotEqual(alert.GetProperty("old_status").GetString(), status);
            Assert.Equal(status, StockRules.StatusFor(alert.GetProperty("available_count").GetInt64(), alert.GetProperty("threshold_level").GetInt64()).ToString());
        }

        Assert.Equal(final, status);
    }

    [Fact]
    public async Task A_full_transaction_holds_fifty_products_and_every_row_that_moved_gets_its_status_and_one_alert_before_the_answer()
    {
        // 50 items take all 100 actions of a transaction, leaving no room for alerts: the rows are committed with
        // their counts, then restated before the answer.
        var skus = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => service.CreateProductAsync(stock: 10, threshold: 5)));
        using var platform = service.Client(TestService.ReserveKey);

        var response = await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "wholesale",
            items = skus.Select(sku => new { product_id = sku, quantity = 6, warehouse_id = "main" }),
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        foreach (var sku in skus)
        {
            Assert.Equal("LOW_STOCK", AssertExact(await StoredRowAsync(sku)));
            var alert = Assert.Single(await AlertsFor(sku));
            Assert.Equal("IN_STOCK", alert.GetProperty("old_status").GetString());
        }

        await service.AssertInvariantsAsync(skus);
    }

    [Fact]
    public async Task Rows_without_headroom_are_repaired_by_their_next_write_or_by_the_threshold_check()
    {
        var written = await service.CreateProductAsync(stock: 10, threshold: 5);
        var checkedOnly = await service.CreateProductAsync(stock: 3, threshold: 5);
        foreach (var sku in new[] { written, checkedOnly })
        {
            // A row as stored before writes kept the status: no headroom, and here a status that lags.
            await service.Dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = service.Get<IOptions<StorageOptions>>().Value.InventoryTable,
                Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
                UpdateExpression = "REMOVE threshold_headroom SET #s = :in",
                ExpressionAttributeNames = new() { ["#s"] = "status" },
                ExpressionAttributeValues = new() { [":in"] = new() { S = "IN_STOCK" } },
            });
        }

        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{written}/reserve", new { quantity = 1, reservation_id = "h", warehouse_id = "main" })).EnsureSuccessStatusCode();
        Assert.Equal("IN_STOCK", AssertExact(await StoredRowAsync(written)));
        Assert.Empty(await AlertsFor(written)); // IN_STOCK stays IN_STOCK: no transition

        using var admin = service.Client();
        var check = await TestService.ReadJsonAsync(await admin.PostAsync("/admin/threshold-check", null));
        Assert.True(check.GetProperty("statuses_repaired").GetInt32() >= 1);
        Assert.Equal("LOW_STOCK", AssertExact(await StoredRowAsync(checkedOnly)));
        Assert.Equal("IN_STOCK", Assert.Single(await AlertsFor(checkedOnly)).GetProperty("old_status").GetString());
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

        var alerts = await service.AlertsForAsync(sku);

        Assert.Equal(
            ["OUT_OF_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>IN_STOCK"],
            alerts.Select(a => a.GetProperty("old_status").GetString() + ">" + a.GetProperty("new_status").GetString()));
        var times = alerts.Select(a => a.GetProperty("created_at").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(times.Count, times.Distinct().Count());
    }
}
