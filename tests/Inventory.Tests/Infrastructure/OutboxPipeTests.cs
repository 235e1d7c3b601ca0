using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// The outbox tables' real stream records (DynamoDB Local emits them), put through each pipe's filter and input
/// template exactly as the Terraform writes them, must give the documented messages: the alert as
/// GET /admin/alerts shows it (SNS), and the order's InventoryReserved / InventoryReservationFailed event.
/// </summary>
public class OutboxPipeTests(TestService service) : IClassFixture<TestService>
{
    private static string Heredoc(string file, string local) => Terraform.Local(file, local).GetString()!.Trim();

    private async Task<List<JsonObject>> StreamOfAsync(string table)
    {
        var arn = (await service.Dynamo.DescribeTableAsync(table)).Table.LatestStreamArn;
        Assert.False(string.IsNullOrEmpty(arn), $"{table} has no stream");
        return await new DynamoStreams(await SharedDynamoDb.ServiceUrlAsync()).ReadAllAsync(arn);
    }

    [Fact]
    public async Task An_alert_record_becomes_the_documented_SNS_message_and_nothing_else_passes_the_filter()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "r-low" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "r-out" })).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/r-out")).EnsureSuccessStatusCode();
        // The first stock, IN→LOW, LOW→OUT, OUT→LOW, written from the stock table's stream.
        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 4, "the four alerts");

        var filter = JsonNode.Parse(Heredoc("events.tf", "alert_filter"))!;
        var template = Heredoc("events.tf", "alert_template");
        var records = await StreamOfAsync(service.Get<IOptions<StorageOptions>>().Value.AlertsTable);
        var messages = records.Where(r => EventPipes.Matches(filter, r)).Select(r => EventPipes.Render(template, r)).ToList();

        Assert.All(records.Where(r => !EventPipes.Matches(filter, r)), r => Assert.NotEqual("STOCK_STATUS_CHANGED", r["dynamodb"]?["NewImage"]?["record_type"]?["S"]?.GetValue<string>()));
        var ours = messages.Select(m => JsonDocument.Parse(m).RootElement).Where(m => m.GetProperty("product_id").GetString() == sku).ToList();
        Assert.Equal(alerts.Count, ours.Count);
        foreach (var alert in alerts)
        {
            var message = ours.Single(m => m.GetProperty("alert_id").GetString() == alert.GetProperty("alert_id").GetString());
            Assert.Equal(
                alert.EnumerateObject().Select(p => (p.Name, Value: Normalize(p.Value))).OrderBy(p => p.Name).ToList(),
                message.EnumerateObject().Select(p => (p.Name, Value: Normalize(p.Value))).OrderBy(p => p.Name).ToList());
        }
    }

    [Fact]
    public async Task A_processed_order_record_becomes_the_order_services_event_verbatim()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        var reserved = Guid.NewGuid().ToString();
        var refused = Guid.NewGuid().ToString();
        string Message(string orderId, long quantity) => JsonSerializer.Serialize(new
        {
            type = "ReserveInventory", order_id = orderId, customer_id = "c-9", items = new[] { new { sku, quantity } }, timestamp = "2026-11-23T10:00:00Z",
        });
        var batch = JsonSerializer.Serialize(new { Records = new[] { new { messageId = "m1", body = Message(reserved, 2) }, new { messageId = "m2", body = Message(refused, 5) } } });
        using var runtime = service.Client(); // outside the Lambda Web Adapter, /events takes the admin key
        var answer = await TestService.ReadJsonAsync(await runtime.PostAsync("/events", TestService.RawJson(batch)));
        Assert.Empty(answer.GetProperty("batchItemFailures").EnumerateArray());

        var filter = JsonNode.Parse(Heredoc("events.tf", "order_outcome_filter"))!;
        var template = Terraform.Local("events.tf", "order_outcome_template").GetString()!;
        var records = await StreamOfAsync(service.Get<IOptions<StorageOptions>>().Value.ProcessedOrdersTable);
        var events = records.Where(r => EventPipes.Matches(filter, r)).Select(r => JsonDocument.Parse(EventPipes.Render(template, r)).RootElement).ToList();

        var yes = events.Single(e => e.GetProperty("order_id").GetString() == reserved);
        Assert.Equal("InventoryReserved", yes.GetProperty("type").GetString());
        Assert.Equal(reserved, yes.GetProperty("reservation_id").GetString());
        Assert.Equal("c-9", yes.GetProperty("customer_id").GetString());
        Assert.Equal(2, yes.GetProperty("items")[0].GetProperty("quantity").GetInt64());
        var no = events.Single(e => e.GetProperty("order_id").GetString() == refused);
        Assert.Equal("InventoryReservationFailed", no.GetProperty("type").GetString());
        Assert.Equal("insufficient_stock", no.GetProperty("reason").GetString());

        // Verbatim: the pipe forwards exactly the event the service recorded.
        var stored = await service.Get<ProcessedOrders>().GetAsync(reserved, CancellationToken.None);
        Assert.Equal(JsonDocument.Parse(stored!.OutcomeEventJson).RootElement.ToString(), yes.ToString());
    }

    /// <summary>Timestamps compared as instants (the API and the stored record may format them differently), numbers as numbers.</summary>
    private static string Normalize(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture)
            : value.ValueKind == JsonValueKind.Number ? value.GetDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture) : value.ToString();
}
