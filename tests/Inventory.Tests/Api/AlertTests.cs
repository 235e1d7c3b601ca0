using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>Each status transition writes exactly one alert record, atomically with the change.</summary>
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

        var alerts = (await AlertsFor(sku)).Skip(before.Count).ToList();

        // The transitions form one chain from IN_STOCK to OUT_OF_STOCK, each recorded once. Every write stores its
        // status, and one unit at a time the row passes through LOW_STOCK: exactly two transitions.
        Assert.Equal(2, alerts.Count);
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
        var listed = await TestService.ReadJsonAsync(await service.Client().GetAsync("/inventory?status=OUT_OF_STOCK&limit=100"));
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), r => r.GetProperty("product_id").GetString() == sku);
    }

    [Fact]
    public async Task A_row_that_stays_low_raises_no_further_alerts_and_coming_back_raises_one()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 8);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "a" })).EnsureSuccessStatusCode();
        var afterDrop = await AlertsFor(sku);
        Assert.Equal("LOW_STOCK", afterDrop[^1].GetProperty("new_status").GetString());

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "b" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "c" })).EnsureSuccessStatusCode();
        Assert.Equal(afterDrop.Count, (await AlertsFor(sku)).Count);

        using var admin = service.Client();
        var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = 100, reason = "restock" }) };
        adjust.Headers.Add("Idempotency-Key", "restock-1");
        (await admin.SendAsync(adjust)).EnsureSuccessStatusCode();

        var afterRestock = await AlertsFor(sku);
        Assert.Equal(afterDrop.Count + 1, afterRestock.Count);
        Assert.Equal("LOW_STOCK", afterRestock[^1].GetProperty("old_status").GetString());
        Assert.Equal("IN_STOCK", afterRestock[^1].GetProperty("new_status").GetString());
    }
}

public class ThresholdCheckTests(NoSweeperService service) : IClassFixture<NoSweeperService>
{
    [Fact]
    public async Task The_threshold_check_repairs_a_stale_status_once_and_emits_the_missed_alert()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        // A crash between a write and its reconciliation, simulated: the stored status says IN_STOCK.
        await service.SetStoredStatusAsync(sku, "IN_STOCK");
        using var admin = service.Client();

        var first = await TestService.ReadJsonAsync(await admin.PostAsync("/admin/threshold-check", null));
        var second = await TestService.ReadJsonAsync(await admin.PostAsync("/admin/threshold-check", null));

        Assert.True(first.GetProperty("statuses_repaired").GetInt32() >= 1);
        Assert.Equal(0, second.GetProperty("statuses_repaired").GetInt32());
        Assert.True(second.GetProperty("rows_scanned").GetInt32() >= 1);
        var listed = await TestService.ReadJsonAsync(await admin.GetAsync("/inventory?status=LOW_STOCK&limit=100"));
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), r => r.GetProperty("product_id").GetString() == sku);
        var alerts = await TestService.ReadJsonAsync(await admin.GetAsync("/admin/alerts?limit=100"));
        var mine = alerts.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("product_id").GetString() == sku).ToList();
        Assert.Contains(mine, a => a.GetProperty("old_status").GetString() == "IN_STOCK" && a.GetProperty("new_status").GetString() == "LOW_STOCK");
    }
}

/// <summary>A service whose scheduled threshold check runs every half second.</summary>
public sealed class FrequentCheckService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:ThresholdCheckIntervalSeconds=0.5"];
}

public class ScheduledThresholdCheckTests(FrequentCheckService service) : IClassFixture<FrequentCheckService>
{
    [Fact]
    public async Task The_scheduled_check_repairs_a_stale_status_on_its_own()
    {
        var sku = await service.CreateProductAsync(stock: 0, threshold: 5);
        await service.SetStoredStatusAsync(sku, "IN_STOCK");

        string stored;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(100);
            stored = await service.StoredStatusAsync(sku);
        }
        while (stored != "OUT_OF_STOCK" && DateTimeOffset.UtcNow < deadline);

        Assert.Equal("OUT_OF_STOCK", stored);
    }
}
