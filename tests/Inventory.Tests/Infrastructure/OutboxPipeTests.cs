using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// The outbox tables' real stream records (DynamoDB Local emits them), put through each pipe's filter as the Terraform
/// writes it and then, in batches of the pipe's size and as the JSON array Pipes sends, through the enrichment the pipe
/// invokes (/events on the outbox function). Its answer is what the targets receive unchanged: the alert as
/// GET /admin/alerts shows it (SNS), and the order's InventoryReserved / InventoryReservationFailed event (SQS).
/// </summary>
public class OutboxPipeTests(TestService service) : IClassFixture<TestService>
{
    /// <summary>The alert's counts: JSON numbers in the message, as in the API.</summary>
    private static readonly string[] CountFields = ["stock_count", "available_count", "threshold_level"];

    private static string Heredoc(string file, string local) => Terraform.Local(file, local).GetString()!.Trim();

    private async Task<List<JsonObject>> StreamOfAsync(string table)
    {
        var arn = (await service.Dynamo.DescribeTableAsync(table)).Table.LatestStreamArn;
        Assert.False(string.IsNullOrEmpty(arn), $"{table} has no stream");
        var records = await new DynamoStreams(await SharedDynamoDb.ServiceUrlAsync()).ReadAllAsync(arn);

        // GetRecords leaves out the source; Pipes, like Lambda's event source mappings, adds the stream's ARN to each record.
        foreach (var record in records)
        {
            record["eventSourceARN"] = arn;
        }

        return records;
    }

    /// <summary>What the pipe hands its target: the enrichment's answers to the records that pass the filter, batch by batch.</summary>
    private async Task<List<JsonElement>> ThroughThePipeAsync(string filterLocal, IEnumerable<JsonObject> records)
    {
        var filter = JsonNode.Parse(Heredoc("events.tf", filterLocal))!;
        var batchSize = Terraform.Resource("events.tf", "aws_pipes_pipe", "outbox").GetProperty("source_parameters")[0]
            .GetProperty("dynamodb_stream_parameters")[0].GetProperty("batch_size").GetInt32();
        using var runtime = service.Client(); // outside the Lambda Web Adapter, /events takes the admin key
        var messages = new List<JsonElement>();
        foreach (var batch in records.Where(r => EventPipes.Matches(filter, r)).Chunk(batchSize))
        {
            var response = await runtime.PostAsync("/events", TestService.RawJson(new JsonArray([.. batch.Select(r => r.DeepClone())]).ToJsonString()));
            var answer = await TestService.ReadJsonAsync(response);
            Assert.True(response.IsSuccessStatusCode && answer.ValueKind == JsonValueKind.Array, $"The enrichment answered {(int)response.StatusCode}: {answer}");
            messages.AddRange(answer.EnumerateArray());
        }

        return messages;
    }

    [Fact]
    public async Task An_alert_record_becomes_exactly_the_alert_the_API_shows_with_numbers_as_numbers()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "r-low" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "r-out" })).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/r-out")).EnsureSuccessStatusCode();
        // The first stock, IN→LOW, LOW→OUT, OUT→LOW, written from the stock table's stream.
        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 4, "the four alerts");

        var records = await StreamOfAsync(service.Get<IOptions<StorageOptions>>().Value.AlertsTable);
        var messages = await ThroughThePipeAsync("alert_filter", records);

        // The filter lets every alert through and nothing else (the live feed's cursors would cost invocations).
        var filter = JsonNode.Parse(Heredoc("events.tf", "alert_filter"))!;
        Assert.All(records.Where(r => !EventPipes.Matches(filter, r)), r => Assert.NotEqual(AlertRecords.StatusChangeType, r["dynamodb"]?["NewImage"]?["record_type"]?["S"]?.GetValue<string>()));
        Assert.Equal(records.Count(r => EventPipes.Matches(filter, r)), messages.Count);

        var ours = messages.Where(m => m.GetProperty("product_id").GetString() == sku).ToList();
        Assert.Equal(alerts.Count, ours.Count);
        foreach (var alert in alerts)
        {
            var message = ours.Single(m => m.GetProperty("alert_id").GetString() == alert.GetProperty("alert_id").GetString());
            // Same fields, same JSON kinds, same values: a subscription's numeric filter
            // ({"available_count": [{"numeric": ["<", 5]}]}) matches numbers only, not "4".
            Assert.Equal(Fields(alert), Fields(message));
            Assert.All(CountFields, name => Assert.Equal(JsonValueKind.Number, message.GetProperty(name).ValueKind));
        }
    }

    [Fact]
    public async Task A_runs_out_soon_alert_leaves_through_the_same_pipe_with_its_figures_as_numbers()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 0);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/products/{sku}/lead-time", new { lead_time_days = 5 })).EnsureSuccessStatusCode();
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/orders/o-{sku}/fulfil", new { lines = new[] { new { product_id = sku, quantity = 7 } } })).EnsureSuccessStatusCode();
        var alert = await Eventually.ValueAsync(
            async () => (await service.AlertsForAsync(sku)).FirstOrDefault(a => a.GetProperty("alert_type").GetString() == "RUNS_OUT_SOON"),
            a => a.ValueKind == JsonValueKind.Object, "the runs-out-soon alert");

        var records = await StreamOfAsync(service.Get<IOptions<StorageOptions>>().Value.AlertsTable);
        var messages = await ThroughThePipeAsync("alert_filter", records);

        var message = Assert.Single(messages, m => m.GetProperty("alert_id").GetString() == alert.GetProperty("alert_id").GetString());
        Assert.Equal(Fields(alert), Fields(message));
        Assert.Equal("RUNS_OUT_SOON", message.GetProperty("alert_type").GetString());

        // 3 available after selling 7 today: 1 a day over 7 days, 0.25 over 28, 3 days of cover, below the 5-day lead time.
        Assert.All(["available_count", "sold_7d", "sold_28d", "velocity_7d", "velocity_28d", "days_of_cover", "lead_time_days"],
            name => Assert.Equal(JsonValueKind.Number, message.GetProperty(name).ValueKind));
        Assert.Equal(3, message.GetProperty("available_count").GetInt64());
        Assert.Equal(1m, message.GetProperty("velocity_7d").GetDecimal());
        Assert.Equal(0.25m, message.GetProperty("velocity_28d").GetDecimal());
        Assert.Equal(3m, message.GetProperty("days_of_cover").GetDecimal());
        Assert.Equal(5, message.GetProperty("lead_time_days").GetInt32());
        Assert.Contains("runs out soon", message.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_processed_order_record_becomes_the_order_services_event_verbatim_as_an_object()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        var reserved = Guid.NewGuid().ToString();
        var refused = Guid.NewGuid().ToString();
        string Message(string orderId, long quantity) => JsonSerializer.Serialize(new
        {
            type = "ReserveInventory", order_id = orderId, customer_id = "c-9", items = new[] { new { sku, quantity } }, timestamp = "2026-11-23T10:00:00Z",
        });
        var batch = JsonSerializer.Serialize(new { Records = new[] { new { messageId = "m1", body = Message(reserved, 2) }, new { messageId = "m2", body = Message(refused, 5) } } });
        using var runtime = service.Client();
        var answer = await TestService.ReadJsonAsync(await runtime.PostAsync("/events", TestService.RawJson(batch)));
        Assert.Empty(answer.GetProperty("batchItemFailures").EnumerateArray());

        var records = await StreamOfAsync(service.Get<IOptions<StorageOptions>>().Value.ProcessedOrdersTable);
        var events = await ThroughThePipeAsync("order_outcome_filter", records);
        Assert.All(events, e => Assert.Equal(JsonValueKind.Object, e.ValueKind));

        var yes = events.Single(e => e.GetProperty("order_id").GetString() == reserved);
        Assert.Equal("InventoryReserved", yes.GetProperty("type").GetString());
        Assert.Equal(reserved, yes.GetProperty("reservation_id").GetString());
        Assert.Equal("c-9", yes.GetProperty("customer_id").GetString());
        Assert.Equal(JsonValueKind.Number, yes.GetProperty("items")[0].GetProperty("quantity").ValueKind);
        Assert.Equal(2, yes.GetProperty("items")[0].GetProperty("quantity").GetInt64());
        var no = events.Single(e => e.GetProperty("order_id").GetString() == refused);
        Assert.Equal("InventoryReservationFailed", no.GetProperty("type").GetString());
        Assert.Equal("insufficient_stock", no.GetProperty("reason").GetString());

        // Verbatim: the pipe forwards exactly the event the service recorded.
        var stored = await service.Get<ProcessedOrders>().GetAsync(reserved, CancellationToken.None);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(stored!.OutcomeEventJson), JsonNode.Parse(yes.GetRawText())), $"{stored.OutcomeEventJson} vs {yes}");
    }

    [Fact]
    public async Task Records_of_another_tables_stream_fail_the_batch_so_the_pipe_retries_and_dead_letters_it()
    {
        var record = new JsonObject
        {
            ["eventName"] = "INSERT",
            ["eventSource"] = "aws:dynamodb",
            ["eventSourceARN"] = "arn:aws:dynamodb:eu-west-1:123456789012:table/somebody-else/stream/2026-11-20T08:00:00.000",
            ["dynamodb"] = new JsonObject { ["SequenceNumber"] = "100", ["NewImage"] = new JsonObject { ["id"] = new JsonObject { ["S"] = "x" } } },
        };
        using var runtime = service.Client();
        var response = await runtime.PostAsync("/events", TestService.RawJson(new JsonArray(record).ToJsonString()));

        // The outbox function sets AWS_LWA_ERROR_STATUS_CODES, so this status fails the invocation.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>Each field with its JSON kind and value; timestamps as instants (the API and the record may format them differently).</summary>
    private static List<(string Name, JsonValueKind Kind, string Value)> Fields(JsonElement value) =>
        value.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind, Normalize(p.Value))).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    private static string Normalize(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture)
            : value.ValueKind == JsonValueKind.Number ? value.GetDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture) : value.ToString();
}
