using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Api;

/// <summary>What the cover tests share: selling, restocking and reading a row's cover and its runs-out-soon alerts.</summary>
internal static class Cover
{
    public static async Task SellAsync(HttpClient platform, string sku, long quantity, string? orderId = null)
    {
        var response = await platform.PostAsJsonAsync($"/orders/{orderId ?? "o-" + Guid.NewGuid().ToString("N")}/fulfil",
            new { lines = new[] { new { product_id = sku, quantity } } });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sale answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task AdjustAsync(HttpClient admin, string sku, long delta)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta, reason = "received" }) };
        request.Headers.Add("Idempotency-Key", "adj-" + Guid.NewGuid().ToString("N"));
        (await admin.SendAsync(request)).EnsureSuccessStatusCode();
    }

    public static async Task SetLeadTimeAsync(HttpClient admin, string sku, int days)
    {
        var response = await admin.PutAsJsonAsync($"/products/{sku}/lead-time", new { lead_time_days = days });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"lead time answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The product's "main" row as GET /admin/cover shows it, or null before its first evaluation.</summary>
    public static async Task<JsonElement?> OfAsync(TestService service, string sku)
    {
        using var admin = service.Client();
        var page = await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/cover?product_id={sku}"));
        return page.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("warehouse_id").GetString() == "main").Cast<JsonElement?>().FirstOrDefault();
    }

    /// <summary>Waits until the row's cover was evaluated after a change that left it <paramref name="available"/> units with <paramref name="sold7d"/> sold in 7 days.</summary>
    public static Task<JsonElement?> SettledAsync(TestService service, string sku, long available, long sold7d, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(() => OfAsync(service, sku),
            c => c is { } row && row.GetProperty("available_count").GetInt64() == available && row.GetProperty("sold_7d").GetInt64() == sold7d,
            $"the cover of {sku} shows {available} available and {sold7d} sold in 7 days", timeout);

    public static async Task<List<JsonElement>> RunsOutSoonAlertsAsync(TestService service, string sku) =>
        (await service.AlertsForAsync(sku)).Where(a => a.GetProperty("alert_type").GetString() == "RUNS_OUT_SOON").ToList();
}

/// <summary>A service whose clock stands still until the test moves it: sales happen on the days the test says.</summary>
public sealed class SettableClockService : TestService
{
    public sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    public SettableClock Clock { get; } = new();

    protected override void OverrideServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

public class CoverVelocityTests(SettableClockService service) : IClassFixture<SettableClockService>
{
    [Fact]
    public async Task Velocity_over_7_and_28_days_and_days_of_cover_come_from_the_sales_of_those_days_only()
    {
        // Noon today (UTC), so no step below crosses midnight by accident.
        var today = new DateTimeOffset(DateTimeOffset.UtcNow.UtcDateTime.Date.AddHours(12), TimeSpan.Zero);
        service.Clock.Now = today.AddDays(-30);
        var sku = await service.CreateProductAsync(stock: 1000, threshold: 0);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();

        // 30 days ago: outside both windows. 27 and 10: the 28-day window only. 6 and today: both.
        await Cover.SellAsync(platform, sku, 100);
        service.Clock.Now = today.AddDays(-27);
        await Cover.SellAsync(platform, sku, 28);
        service.Clock.Now = today.AddDays(-10);
        await Cover.SellAsync(platform, sku, 14);
        service.Clock.Now = today.AddDays(-6);
        await Cover.SellAsync(platform, sku, 20);
        await Cover.SellAsync(platform, sku, 1);
        service.Clock.Now = today;
        await Cover.SellAsync(platform, sku, 7);
        await Cover.AdjustAsync(admin, sku, +10); // a receipt: more cover, no sale

        var cover = (await Cover.SettledAsync(service, sku, available: 840, sold7d: 28))!.Value;
        Assert.Equal(28, cover.GetProperty("sold_7d").GetInt64());
        Assert.Equal(70, cover.GetProperty("sold_28d").GetInt64());
        Assert.Equal(4m, cover.GetProperty("velocity_7d").GetDecimal());
        Assert.Equal(2.5m, cover.GetProperty("velocity_28d").GetDecimal());
        Assert.Equal(210m, cover.GetProperty("days_of_cover").GetDecimal()); // 840 / 4, the faster pace
        Assert.Equal(JsonValueKind.Null, cover.GetProperty("lead_time_days").ValueKind);
        Assert.False(cover.GetProperty("runs_out_soon").GetBoolean());
        Assert.Equal(today, cover.GetProperty("computed_at").GetDateTimeOffset());

        // A week later nothing new was sold: the figures move only with the row's next change, which re-evaluates them.
        service.Clock.Now = today.AddDays(7);
        await Cover.AdjustAsync(admin, sku, -40);
        cover = (await Cover.SettledAsync(service, sku, available: 800, sold7d: 0))!.Value;
        Assert.Equal(42, cover.GetProperty("sold_28d").GetInt64()); // 14 (17 days ago) + 21 (13) + 7 (7)
        Assert.Equal(1.5m, cover.GetProperty("velocity_28d").GetDecimal());
        Assert.Equal(533.33m, cover.GetProperty("days_of_cover").GetDecimal()); // 800 / 1.5
    }
}

public class CoverAlertTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task Hundreds_of_parallel_sales_crossing_the_lead_time_raise_one_alert_and_a_restock_rearms_it()
    {
        var sku = await service.CreateProductAsync(stock: 1000, threshold: 0);
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        await Cover.SetLeadTimeAsync(admin, sku, 10);

        // 300 sales of 2 units, all today: cover = available * 7 / sold, below 10 days from the 206th sale on.
        var sales = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            platform.PostAsJsonAsync($"/orders/burst-{sku}-{i}/fulfil", new { lines = new[] { new { product_id = sku, quantity = 2 } } })));
        Assert.All(sales, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var cover = (await Cover.SettledAsync(service, sku, available: 400, sold7d: 600, TimeSpan.FromSeconds(30)))!.Value;
        Assert.True(cover.GetProperty("runs_out_soon").GetBoolean());
        Assert.Equal(4.67m, cover.GetProperty("days_of_cover").GetDecimal());

        var alert = Assert.Single(await Cover.RunsOutSoonAlertsAsync(service, sku));
        Assert.Equal(10, alert.GetProperty("lead_time_days").GetInt32());
        var available = alert.GetProperty("available_count").GetInt64();
        var sold = alert.GetProperty("sold_7d").GetInt64();
        Assert.Equal(1000, available + sold); // the figures of one moment: every unit sold so far was counted, once
        Assert.True(available * 7 < 10 * sold, $"{available} available at {sold} a week is not below 10 days");
        Assert.Equal(Math.Round(available * 7m / sold, 2), alert.GetProperty("days_of_cover").GetDecimal());
        Assert.Equal(Math.Round(sold / 7m, 3), alert.GetProperty("velocity_7d").GetDecimal());
        Assert.Equal(alert.GetProperty("old_status").GetString(), alert.GetProperty("new_status").GetString());

        // It is an alert like the others: acknowledged by name.
        var acknowledged = await TestService.ReadJsonAsync(await admin.PostAsync($"/admin/alerts/{alert.GetProperty("alert_id").GetString()}/acknowledge", null));
        Assert.Equal("admin", acknowledged.GetProperty("acknowledged_by").GetString());

        // A restock to 11.67 days of cover re-arms it; the sales that take it below 10 again raise the second alert.
        await Cover.AdjustAsync(admin, sku, +600);
        cover = (await Cover.SettledAsync(service, sku, available: 1000, sold7d: 600))!.Value;
        Assert.False(cover.GetProperty("runs_out_soon").GetBoolean());
        Assert.Single(await Cover.RunsOutSoonAlertsAsync(service, sku));

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Cover.SellAsync(platform, sku, 2, $"again-{sku}-{i}")));
        cover = (await Cover.SettledAsync(service, sku, available: 920, sold7d: 680, TimeSpan.FromSeconds(30)))!.Value;
        Assert.True(cover.GetProperty("runs_out_soon").GetBoolean());
        var alerts = await Cover.RunsOutSoonAlertsAsync(service, sku);
        Assert.Equal(2, alerts.Count);
        Assert.True(alerts[1].GetProperty("sold_7d").GetInt64() > 600);

        // The listing filters by kind of alert: the two warnings, or the status changes alone.
        static IEnumerable<string?> Ids(List<JsonElement> list) => list.Select(a => a.GetProperty("alert_id").GetString());
        Assert.Equal(Ids(alerts), Ids(await service.AlertsForAsync(sku, "&alert_type=RUNS_OUT_SOON")));
        var changes = await service.AlertsForAsync(sku, "&alert_type=STATUS_CHANGE");
        Assert.NotEmpty(changes);
        Assert.All(changes, a => Assert.Equal("STATUS_CHANGE", a.GetProperty("alert_type").GetString()));
        Assert.Equal((await service.AlertsForAsync(sku)).Count, alerts.Count + changes.Count);
        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/alerts?alert_type=runs_out_soon"), 400, "validation_failed");

        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task The_listing_puts_the_row_that_runs_out_soonest_first()
    {
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        var slow = await service.CreateProductAsync(stock: 100, threshold: 0);
        var fast = await service.CreateProductAsync(stock: 100, threshold: 0);
        await Cover.SellAsync(platform, slow, 1);
        await Cover.SellAsync(platform, fast, 50);
        await Cover.SettledAsync(service, slow, 99, 1);
        await Cover.SettledAsync(service, fast, 50, 50);

        // The index follows the table a moment later (eventually consistent): wait for both rows to be in it.
        var ranked = await Eventually.ValueAsync(async () =>
        {
            var rows = new List<JsonElement>();
            string? token = null;
            do
            {
                var page = await TestService.ReadJsonAsync(await admin.GetAsync("/admin/cover?limit=2" + (token is null ? "" : "&next_token=" + token)));
                rows.AddRange(page.GetProperty("items").EnumerateArray());
                token = page.GetProperty("next_token").GetString();
            }
            while (token is not null);
            return rows;
        }, rows => rows.Any(r => r.GetProperty("product_id").GetString() == slow) && rows.Any(r => r.GetProperty("product_id").GetString() == fast), "both rows listed");

        var covers = ranked.Select(r => r.GetProperty("days_of_cover").GetDecimal()).ToList();
        Assert.Equal(covers.Order(), covers);
        Assert.True(ranked.FindIndex(r => r.GetProperty("product_id").GetString() == fast) < ranked.FindIndex(r => r.GetProperty("product_id").GetString() == slow));
    }

    [Theory]
    [InlineData("{\"lead_time_days\": -1}", "validation_failed")]
    [InlineData("{\"lead_time_days\": 366}", "validation_failed")]
    [InlineData("{}", "validation_failed")]
    [InlineData("{\"lead_time_days\": null}", "validation_failed")]
    [InlineData("{\"lead_time_days\": 1.5}", "invalid_request")]
    [InlineData("{\"lead_time_days\": \"7\"}", "invalid_request")]
    [InlineData("{\"lead_time\": 7}", "invalid_request")]
    public async Task A_lead_time_that_is_not_a_whole_number_of_days_from_0_to_365_is_refused_and_nothing_changes(string body, string code)
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var admin = service.Client();
        await Cover.SetLeadTimeAsync(admin, sku, 12);
        await TestService.AssertProblemAsync(await admin.PutAsync($"/products/{sku}/lead-time", TestService.RawJson(body)), 400, code);
        var product = await TestService.ReadJsonAsync(await admin.GetAsync($"/products/{sku}"));
        Assert.Equal(12, product.GetProperty("lead_time_days").GetInt32());
    }

    [Fact]
    public async Task A_lead_time_is_set_on_create_cleared_with_0_and_refused_for_an_unknown_product()
    {
        using var admin = service.Client();
        var sku = "lead-" + Guid.NewGuid().ToString("N")[..10];
        var created = await TestService.ReadJsonAsync(await admin.PostAsJsonAsync("/products", new { sku, name = "Lead", price = 1m, lead_time_days = 21 }));
        Assert.Equal(21, created.GetProperty("lead_time_days").GetInt32());
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/products", new { sku = sku + "x", name = "Lead", price = 1m, lead_time_days = 400 }), 400, "validation_failed");

        // The catalogue's load script, run again without lead times, still gets 200 and leaves them; another one is a conflict.
        var again = await admin.PostAsJsonAsync("/products", new { sku, name = "Lead", price = 1m });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(21, (await TestService.ReadJsonAsync(again)).GetProperty("lead_time_days").GetInt32());
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/products", new { sku, name = "Lead", price = 1m, lead_time_days = 30 }), 409, "product_exists");

        await Cover.SetLeadTimeAsync(admin, sku, 0);
        var cleared = await TestService.ReadJsonAsync(await admin.GetAsync($"/products/{sku}"));
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("lead_time_days").ValueKind);

        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync("/products/no-such-product/lead-time", new { lead_time_days = 3 }), 404, "product_not_found");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReserveKey).PutAsJsonAsync($"/products/{sku}/lead-time", new { lead_time_days = 3 }), 403, "forbidden");
    }

    [Fact]
    public async Task Raising_the_lead_time_above_a_rows_cover_alerts_at_once_without_waiting_for_a_sale()
    {
        var sku = await service.CreateProductAsync(stock: 100, threshold: 0);
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        await Cover.SellAsync(platform, sku, 30); // 70 available at 30 a week: 16.33 days
        await Cover.SettledAsync(service, sku, 70, 30);
        Assert.Empty(await Cover.RunsOutSoonAlertsAsync(service, sku));

        await Cover.SetLeadTimeAsync(admin, sku, 20);
        var alert = Assert.Single(await Cover.RunsOutSoonAlertsAsync(service, sku));
        Assert.Equal(16.33m, alert.GetProperty("days_of_cover").GetDecimal());
        await Cover.SetLeadTimeAsync(admin, sku, 20); // the same again: still below, no second alert
        Assert.Single(await Cover.RunsOutSoonAlertsAsync(service, sku));
    }
}

/// <summary>
/// The stream function's path: the stock table's change records posted to /events as Lambda's event source mapping
/// delivers them, and delivered again (a retried batch, a resumed shard), overlapping what was already handled.
/// </summary>
public class CoverReplayTests(NoStreamService service) : IClassFixture<NoStreamService>
{
    private async Task DeliverAsync(string sku, int from, int? count = null)
    {
        var table = service.Get<IOptions<StorageOptions>>().Value.InventoryTable;
        var arn = (await service.Dynamo.DescribeTableAsync(table)).Table.LatestStreamArn;
        var records = (await new DynamoStreams(await SharedDynamoDb.ServiceUrlAsync()).ReadAllAsync(arn))
            .Where(r => r["dynamodb"]?["Keys"]?["product_id"]?["S"]?.GetValue<string>() == sku)
            .ToList();
        foreach (var record in records)
        {
            record["eventSourceARN"] = $"arn:aws:dynamodb:eu-west-1:123456789012:table/{table}/stream/2026-11-29T00:00:00.000";
        }

        var batch = new JsonObject { ["Records"] = new JsonArray([.. records.Skip(from).Take(count ?? records.Count)]) };
        using var runtime = service.Client(); // outside the Web Adapter, /events takes the admin key
        var answer = await TestService.ReadJsonAsync(await runtime.PostAsync("/events", TestService.RawJson(batch.ToJsonString())));
        Assert.Empty(answer.GetProperty("batchItemFailures").EnumerateArray());
    }

    [Fact]
    public async Task A_batch_handed_over_again_counts_no_sale_twice_and_alerts_once()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 0);
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        await Cover.SetLeadTimeAsync(admin, sku, 10);
        for (var i = 0; i < 10; i++)
        {
            await Cover.SellAsync(platform, sku, 1);
        }

        // Records: create, stock, ten sales. The first half, then everything from the start, twice, then the tail again.
        await DeliverAsync(sku, 0, 7);
        await DeliverAsync(sku, 0);
        await DeliverAsync(sku, 0);
        await DeliverAsync(sku, 8);

        var cover = (await Cover.OfAsync(service, sku))!.Value;
        Assert.Equal(10, cover.GetProperty("sold_7d").GetInt64());
        Assert.Equal(10, cover.GetProperty("available_count").GetInt64());
        Assert.Equal(7m, cover.GetProperty("days_of_cover").GetDecimal());
        Assert.True(cover.GetProperty("runs_out_soon").GetBoolean());

        // The first batch ended at 15 available after 5 sales (21 days); the second, at the end, below 10 days. A row is
        // evaluated once per batch, at its latest change, so the alert carries the figures of that change.
        var alert = Assert.Single(await Cover.RunsOutSoonAlertsAsync(service, sku));
        Assert.Equal(10, alert.GetProperty("available_count").GetInt64());
        Assert.Equal(10, alert.GetProperty("sold_7d").GetInt64());
        Assert.Equal(7m, alert.GetProperty("days_of_cover").GetDecimal());
        Assert.Equal(10, alert.GetProperty("lead_time_days").GetInt32());
    }

    [Fact]
    public async Task Four_consumers_handling_the_same_batch_at_once_count_each_sale_once_and_send_one_alert()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 0);
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        await Cover.SetLeadTimeAsync(admin, sku, 10);
        for (var i = 0; i < 10; i++)
        {
            await Cover.SellAsync(platform, sku, 1);
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => DeliverAsync(sku, 0)));

        var cover = (await Cover.OfAsync(service, sku))!.Value;
        Assert.Equal(10, cover.GetProperty("sold_7d").GetInt64());
        Assert.True(cover.GetProperty("runs_out_soon").GetBoolean());
        Assert.Single(await Cover.RunsOutSoonAlertsAsync(service, sku));
    }
}
