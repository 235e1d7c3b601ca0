using System.Buffers;
using System.Text.Json;
using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;
using Inventory.Api.Projections;

namespace Inventory.Api.Features.Events;

/// <summary>
/// The enrichment step of the two outbox pipes (alert records to the inventory-alerts topic, processed orders to the
/// order service's queue). EventBridge Pipes invokes it with its batch of stream records as a JSON array and sends each
/// item of the array it answers to the target as one message, unchanged: so every message that leaves the service is
/// built here, by tested code, and no input template renders it. The alert is the one GET /admin/alerts shows (counts
/// are JSON numbers, so subscribers can filter on them numerically); the order outcome is the event the service
/// recorded, as a JSON object.
/// </summary>
public static class OutboxEnrichment
{
    /// <summary>A pipe's batch: a non-empty JSON array of DynamoDB stream records.</summary>
    public static bool IsPipeBatch(JsonElement body) =>
        body.ValueKind == JsonValueKind.Array && body.GetArrayLength() > 0
        && body.EnumerateArray().All(r => r.ValueKind == JsonValueKind.Object
            && r.TryGetProperty("eventSource", out var source) && source.ValueKind == JsonValueKind.String && source.ValueEquals("aws:dynamodb"));

    /// <summary>
    /// The messages for a batch, as the JSON array Pipes expects back; or the fault that makes the batch fail, so the
    /// pipe retries it and, in the end, puts it in its dead-letter queue. Records that carry no message (a cursor of the
    /// live feed, a TTL deletion) give none; the pipes' filters keep them out anyway.
    /// </summary>
    public static (byte[]? Messages, string? Fault) MessagesOf(JsonElement records, StorageOptions storage)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var record in records.EnumerateArray())
            {
                var source = record.TryGetProperty("eventSourceARN", out var arn) && arn.ValueKind == JsonValueKind.String ? arn.GetString() : null;
                var inserted = record.TryGetProperty("eventName", out var name) && name.ValueKind == JsonValueKind.String && name.ValueEquals("INSERT");
                var item = ChangeRecords.Parse(record)?.NewImage;
                if (IsStreamOf(source, storage.AlertsTable))
                {
                    if (inserted && item is not null && AlertRecords.AlertOf(item) is { } alert)
                    {
                        JsonSerializer.Serialize(writer, alert, AppJsonContext.Default.StockAlert);
                    }
                }
                else if (IsStreamOf(source, storage.ProcessedOrdersTable))
                {
                    if (inserted && item is not null)
                    {
                        if (ParseObject(ProcessedOrders.OutcomeEventOf(item)) is not { } outcome)
                        {
                            return (null, "A processed order record without its outcome event (a JSON object).");
                        }

                        outcome.WriteTo(writer);
                    }
                }
                else
                {
                    return (null, $"A stream record from '{source}', which is neither the alerts table's nor the processed orders table's stream: check the pipe's source.");
                }
            }

            writer.WriteEndArray();
        }

        return (buffer.WrittenSpan.ToArray(), null);
    }

    private static bool IsStreamOf(string? eventSourceArn, string table) =>
        eventSourceArn is not null && eventSourceArn.Contains($":table/{table}/stream/", StringComparison.Ordinal);

    private static JsonElement? ParseObject(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
