using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>Each status transition writes exactly one alert record, atomically with the stored status it announces.</summary>
public class AlertTests(NoSweeperService service) : IClassFixture<NoSweeperService>
{
    private Task<List<JsonElement>> AlertsFor(string sku) => service.AlertsForAsync(sku);

    [Fact]
    public async Task Two_hundred_parallel_holds_crossing_the_threshold_write_one_alert_per_transition()
    {
        var sku = await service.CreateProductAsync(stock: 200, threshold: 50);
        var before = await AlertsFor(sku);
        using var platform = service.Client(TestService.ReserveKey);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"fan-{i}" })));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        var alerts = await Eventually.ValueAsync(
            async () => (await AlertsFor(sku)).Skip(before.Count).ToList(), a => a.Count >= 2, "the transitions are recorded");

        // The transitions form one chain from IN_STOCK to OUT_OF_STOCK, each recorded once: one unit at a time the
        // counts pass through LOW_STOCK, and the stream sees every change in order: exactly two transitions.
        Assert.Equal(2, (await AlertsFor(sku)).Skip(before.Count).Count());
        Assert.Equal("IN_STOCK", alerts[0].GetProperty("old_status").GetString());
        Assert.Equal("OUT_OF_STOCK", alerts[^1].GetProperty("new_status").GetString());
        for (var i = 1; i < alerts.Count; i++)
        {
            Assert.Equal(alerts[i - 1].GetProperty("new_status").GetString(), alerts[i].GetProperty("old_status").GetString());
        }

        var last = alerts[^1];
        Assert.Equal(0, last.GetProperty("available_count").GetInt64());
        Assert.Equal(200, last.GetProperty("stock_count").GetInt64());
        Assert.Equal(50, last.GetProperty("threshold_level").GetInt64());
        Assert.Contains("OUT_OF_STOCK", last.GetProperty("message").GetString());
        await Eventually.TrueAsync(async () =>
        {
            var listed = await TestService.ReadJsonAsync(await service.Client().GetAsync("/inventory?status=OUT_OF_STOCK&limit=100"));
            return listed.GetProperty("items").EnumerateArray().Any(r => r.GetProperty("product_id").GetString() == sku);
        }, "the row is listed as out of stock");
    }

    [Fact]
    public async Task A_row_that_stays_low_raises_no_further_alerts_and_coming_back_raises_one()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 8);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "a" })).EnsureSuccessStatusCode();
        var afterDrop = await Eventually.ValueAsync(() => AlertsFor(sku), a => a[^1].GetProperty("new_status").GetString() == "LOW_STOCK", "the LOW_STOCK alert");

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "b" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "c" })).EnsureSuccessStatusCode();

        using var admin = service.Client();
        var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = 100, reason = "restock" }) };
        adjust.Headers.Add("Idempotency-Key", "restock-1");
        (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();

        // The restock's alert comes after the two low holds' changes in the stream: had they raised one, it would be here too.
        var afterRestock = await Eventually.ValueAsync(() => AlertsFor(sku), a => a[^1].GetProperty("new_status").GetString() == "IN_STOCK", "the IN_STOCK alert");
        Assert.Equal(afterDrop.Count + 1, afterRestock.Count);
        Assert.Equal("LOW_STOCK", afterRestock[^1].GetProperty("old_status").GetString());
        Assert.Equal("IN_STOCK", afterRestock[^1].GetProperty("new_status").GetString());
    }
}

/// <summary>
/// A service without the local stream reader, whose threshold check repairs rows at once: a change record the stream
/// never delivered (on AWS, one it gave up on), simulated.
/// </summary>
public sealed class NoStreamService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:ReadStreamInProcess=false", "--Storage:StatusRepairQuietSeconds=0"];
}

public class ThresholdCheckTests(NoStreamService service) : IClassFixture<NoStreamService>
{
    [Fact]
    public async Task The_threshold_check_repairs_a_stale_status_once_and_emits_the_missed_alert()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        // A lost change record, simulated: the stored status says IN_STOCK.
        await service.SetStoredStatusAsync(sku, "IN_STOCK");
        using var admin = service.Client();

        var first = await TestService.ReadJsonAsync(await admin.PostAsync("/admin/threshold-check", null));
        var second = await TestService.ReadJsonAsync(await admin.PostAsync("/admin/threshold-check", null));

        Assert.True(first.GetProperty("statuses_repaired").GetInt32() >= 1);
        Assert.Equal(0, second.GetProperty("statuses_repaired").GetInt32());
        Assert.True(second.GetProperty("rows_scanned").GetInt32() >= 1);
        var listed = await TestService.ReadJsonAsync(await admin.GetAsync("/inventory?status=LOW_STOCK&limit=100"));
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), r => r.GetProperty("product_id").GetString() == sku);
        var mine = await service.AlertsForAsync(sku);
        var repair = Assert.Single(mine);
        Assert.Equal("IN_STOCK", repair.GetProperty("old_status").GetString());
        Assert.Equal("LOW_STOCK", repair.GetProperty("new_status").GetString());
    }

    [Fact]
    public async Task A_row_with_no_stored_status_is_drift_and_the_repair_stores_it_without_a_made_up_transition()
    {
        var sku = await service.CreateProductAsync(stock: 0, threshold: 5);
        await service.Dynamo.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable,
            Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
            UpdateExpression = "REMOVE #s",
            ExpressionAttributeNames = new() { ["#s"] = "status" },
        });
        using var admin = service.Client();

        var drift = await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/invariants?product_id={sku}"));
        (await admin.PostAsync("/admin/threshold-check", null)).EnsureSuccessStatusCode();
        var after = await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/invariants?product_id={sku}"));

        Assert.Contains(drift.GetProperty("violations").EnumerateArray(), v => v.GetProperty("rule").GetString() == "stored_status_present");
        Assert.Equal(0, after.GetProperty("violations").GetArrayLength());
        Assert.Equal("OUT_OF_STOCK", await service.StoredStatusAsync(sku));
        Assert.Empty(await service.AlertsForAsync(sku)); // it was never announced as anything else: no OUT to OUT alert
    }

    [Fact]
    public async Task The_threshold_check_leaves_a_row_changed_within_the_quiet_period_to_the_stream()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        await service.SetStoredStatusAsync(sku, "IN_STOCK");
        var item = await service.StoredRowAsync(sku);
        var statuses = service.Get<Inventory.Api.Projections.StatusProjection>();

        Assert.False(await statuses.RepairAsync(item, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.Equal("IN_STOCK", await service.StoredStatusAsync(sku));
        Assert.True(await statuses.RepairAsync(item, DateTimeOffset.UtcNow.AddMinutes(2), TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.Equal("LOW_STOCK", await service.StoredStatusAsync(sku));
    }
}

public class StreamRepairTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task A_status_edited_behind_the_services_back_is_put_right_by_the_stream_with_its_alert()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "LOW_STOCK", "the row stores LOW_STOCK");

        // The edit is itself a change of the row: the stream sees a row whose counts say LOW and whose status says IN.
        await service.SetStoredStatusAsync(sku, "IN_STOCK");

        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "LOW_STOCK", "the stream restores LOW_STOCK");
        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 2, "the alert of the repair");
        Assert.Equal("IN_STOCK>LOW_STOCK", alerts[^1].GetProperty("old_status").GetString() + ">" + alerts[^1].GetProperty("new_status").GetString());
    }
}

public class UnreadableStatusTests(TestService service) : IClassFixture<TestService>
{
    /// <summary>Values that are not one of the three statuses (typos in the console), some of which .NET's enum parsing would accept.</summary>
    [Theory]
    [InlineData("low_stock")]
    [InlineData("1")]
    [InlineData("LOW_STOCK ")]
    public async Task A_status_edited_by_hand_to_a_value_that_is_no_status_is_put_right_and_stalls_no_other_row(string edited)
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);

        // The stream must store exactly the status the counts imply, or the listing by status never shows the row.
        await service.SetStoredStatusAsync(sku, edited);

        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "LOW_STOCK", "the stream restores LOW_STOCK");
        var other = await service.CreateProductAsync(stock: 10, threshold: 5); // waits until its stored status follows its stock
        Assert.Equal("IN_STOCK", await service.StoredStatusAsync(other));
        StatusStreamTests.AssertOneChain(await service.AlertsForAsync(sku), "OUT_OF_STOCK", "LOW_STOCK", minimum: 1);
    }
}

/// <summary>A row this service cannot read (a count edited by hand past what a 64-bit count holds): a poison row.</summary>
internal static class PoisonRows
{
    public static Task MakeUnreadableAsync(TestService service, string sku) =>
        service.Dynamo.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable,
            Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
            UpdateExpression = "SET #t = :t",
            ExpressionAttributeNames = new() { ["#t"] = "threshold_level" },
            ExpressionAttributeValues = new() { [":t"] = new() { N = "100000000000000000000" } },
        });
}

public class PoisonRecordTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task A_change_record_whose_row_cannot_be_read_is_skipped_and_the_stream_goes_on()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        await PoisonRows.MakeUnreadableAsync(service, sku);

        var other = await service.CreateProductAsync(stock: 10, threshold: 5); // waits until its stored status follows its stock
        Assert.Equal("IN_STOCK", await service.StoredStatusAsync(other));
    }
}

public class PoisonRowCheckTests(NoStreamService service) : IClassFixture<NoStreamService>
{
    [Fact]
    public async Task A_row_the_threshold_check_cannot_read_does_not_stop_it_repairing_the_others()
    {
        var poison = await service.CreateProductAsync(stock: 3, threshold: 5);
        await PoisonRows.MakeUnreadableAsync(service, poison);
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        await service.SetStoredStatusAsync(sku, "IN_STOCK");
        using var admin = service.Client();

        var response = await admin.PostAsync("/admin/threshold-check", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("LOW_STOCK", await service.StoredStatusAsync(sku));
    }
}

/// <summary>A service with a fault-injecting client whose stream reader gives up on a failing change record after 2 s.</summary>
public sealed class GiveUpService : FaultInjectingService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:StreamRecordRetrySeconds=2", "--Storage:StatusRepairQuietSeconds=0"];
}

public class PoisonWriteTests(GiveUpService service) : IClassFixture<GiveUpService>
{
    [Fact]
    public async Task A_status_write_that_can_never_succeed_holds_the_stream_back_only_for_a_while_and_the_repair_then_writes_it()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);

        // Once the hold has committed, every status write of this row is refused for good (a request DynamoDB rejects).
        var hold = "poison-" + sku;
        service.Faults.AfterCommitNaming = hold;
        service.Faults.AfterCommit = () =>
        {
            service.Faults.InjectedCode = "ValidationError";
            service.Faults.FailTransactionsNaming = sku;
            service.Faults.AfterCommit = null;
            return Task.CompletedTask;
        };
        try
        {
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = hold, warehouse_id = "main" })).EnsureSuccessStatusCode();

            // The reader retries the record, then moves on: the other rows' statuses follow again.
            var other = await service.CreateProductAsync(stock: 10, threshold: 5);
            Assert.Equal("IN_STOCK", await service.StoredStatusAsync(other));
        }
        finally
        {
            service.Faults.AfterCommitNaming = null;
            service.Faults.FailTransactionsNaming = null;
            service.Faults.InjectedCode = "TransactionConflict";
        }

        // The record given up on is the threshold check's to repair, with its alert.
        using var admin = service.Client();
        (await admin.PostAsync("/admin/threshold-check", null)).EnsureSuccessStatusCode();
        Assert.Equal("LOW_STOCK", await service.StoredStatusAsync(sku));
        StatusStreamTests.AssertOneChain(await service.AlertsForAsync(sku), "OUT_OF_STOCK", "LOW_STOCK", minimum: 2);
    }
}

/// <summary>A service whose scheduled threshold check runs every half second, and whose stream is not read.</summary>
public sealed class FrequentCheckService : TestService
{
    protected override IEnumerable<string> ExtraArgs =>
        ["--Jobs:ThresholdCheckIntervalSeconds=0.5", "--Jobs:ReadStreamInProcess=false", "--Storage:StatusRepairQuietSeconds=0"];
}

public class ScheduledThresholdCheckTests(FrequentCheckService service) : IClassFixture<FrequentCheckService>
{
    [Fact]
    public async Task The_scheduled_check_repairs_a_stale_status_on_its_own()
    {
        var sku = await service.CreateProductAsync(stock: 0, threshold: 5);
        await service.SetStoredStatusAsync(sku, "IN_STOCK");

        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "OUT_OF_STOCK", "the scheduled check stores OUT_OF_STOCK");
    }
}
