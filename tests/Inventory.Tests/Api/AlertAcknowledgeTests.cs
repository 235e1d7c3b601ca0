using System.Net;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>Acknowledging an alert (who saw it, when) and the alert listing's filters, against the real service.</summary>
public class AlertAcknowledgeTests(TestService service) : IClassFixture<TestService>
{
    private async Task<string> NewestAlertIdAsync(string sku) =>
        (await service.AlertsForAsync(sku))[^1].GetProperty("alert_id").GetString()!;

    private async Task<List<JsonElement>> ListAsync(string query)
    {
        using var admin = service.Client();
        var alerts = new List<JsonElement>();
        string? token = null;
        do
        {
            var page = await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/alerts?limit=100&{query}" + (token is null ? "" : "&next_token=" + token)));
            alerts.AddRange(page.GetProperty("items").EnumerateArray());
            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);
        return alerts;
    }

    [Fact]
    public async Task Acknowledging_records_the_key_name_and_time_once_and_repeating_it_changes_nothing()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var alertId = await NewestAlertIdAsync(sku);
        using var admin = service.Client();
        var unacknowledged = (await service.AlertsForAsync(sku))[^1];
        Assert.Equal(JsonValueKind.Null, unacknowledged.GetProperty("acknowledged_by").ValueKind);
        Assert.Equal(JsonValueKind.Null, unacknowledged.GetProperty("acknowledged_at").ValueKind);

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var first = await TestService.ReadJsonAsync(await admin.PostAsync($"/admin/alerts/{alertId}/acknowledge", null));
        Assert.Equal(alertId, first.GetProperty("alert_id").GetString());
        Assert.Equal("admin", first.GetProperty("acknowledged_by").GetString());
        var at = first.GetProperty("acknowledged_at").GetDateTimeOffset();
        Assert.InRange(at, before, DateTimeOffset.UtcNow.AddSeconds(1));

        var again = await admin.PostAsync($"/admin/alerts/{alertId}/acknowledge", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeated = await TestService.ReadJsonAsync(again);
        Assert.Equal(at, repeated.GetProperty("acknowledged_at").GetDateTimeOffset());
        Assert.Equal("admin", repeated.GetProperty("acknowledged_by").GetString());

        var listed = (await service.AlertsForAsync(sku))[^1];
        Assert.Equal("admin", listed.GetProperty("acknowledged_by").GetString());
        Assert.Equal(at, listed.GetProperty("acknowledged_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_unknown_alert_is_404_and_only_admin_keys_may_acknowledge()
    {
        using var admin = service.Client();
        await TestService.AssertProblemAsync(await admin.PostAsync("/admin/alerts/no-such-alert/acknowledge", null), 404, "alert_not_found");

        var sku = await service.CreateProductAsync(stock: 10);
        var alertId = await NewestAlertIdAsync(sku);
        await TestService.AssertProblemAsync(await service.Client(TestService.ReserveKey).PostAsync($"/admin/alerts/{alertId}/acknowledge", null), 403, "forbidden");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReadKey).PostAsync($"/admin/alerts/{alertId}/acknowledge", null), 403, "forbidden");
        await TestService.AssertProblemAsync(await service.Client(apiKey: null).PostAsync($"/admin/alerts/{alertId}/acknowledge", null), 401, "unauthorized");
        Assert.Equal(JsonValueKind.Null, (await service.AlertsForAsync(sku))[^1].GetProperty("acknowledged_by").ValueKind);
    }

    [Fact]
    public async Task The_listing_filters_by_acknowledgement_status_and_product()
    {
        var low = await service.CreateProductAsync(stock: 3, threshold: 5);
        var stocked = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var admin = service.Client();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/admin/alerts/{await NewestAlertIdAsync(stocked)}/acknowledge", null)).StatusCode);

        var lowAlerts = await ListAsync($"product_id={low}");
        Assert.NotEmpty(lowAlerts);
        Assert.All(lowAlerts, a => Assert.Equal(low, a.GetProperty("product_id").GetString()));
        Assert.All(await ListAsync("status=LOW_STOCK"), a => Assert.Equal("LOW_STOCK", a.GetProperty("new_status").GetString()));
        Assert.Contains(await ListAsync("status=LOW_STOCK"), a => a.GetProperty("product_id").GetString() == low);

        var open = await ListAsync("acknowledged=false");
        Assert.Contains(open, a => a.GetProperty("product_id").GetString() == low);
        Assert.DoesNotContain(open, a => a.GetProperty("product_id").GetString() == stocked);
        Assert.All(open, a => Assert.Equal(JsonValueKind.Null, a.GetProperty("acknowledged_at").ValueKind));
        var seen = await ListAsync($"acknowledged=true&product_id={stocked}");
        Assert.Single(seen);
        Assert.Equal("admin", seen[0].GetProperty("acknowledged_by").GetString());

        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/alerts?acknowledged=maybe"), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/alerts?status=SOLD_OUT"), 400, "validation_failed");
    }
}
