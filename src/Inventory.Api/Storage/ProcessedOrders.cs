using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>What the service answered to one order's ReserveInventory message.</summary>
/// <param name="Outcome">The answer's event type: InventoryReserved or InventoryReservationFailed.</param>
/// <param name="OutcomeEventJson">The whole answer, exactly as the order service receives it.</param>
public sealed record ProcessedOrder(string OrderId, string Outcome, string OutcomeEventJson, string Fingerprint, DateTimeOffset ProcessedAt);

/// <summary>
/// One record per order whose ReserveInventory message was handled. It is the idempotency guard (a redelivered
/// message finds it and changes nothing) and the outbox of the answer: on AWS the table's stream carries each new
/// record to the order service's queue through an EventBridge Pipe, so an answer is sent exactly when it commits.
/// </summary>
public sealed class ProcessedOrders(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider clock)
{
    private readonly StorageOptions storage = options.Value;

    public async Task<ProcessedOrder?> GetAsync(string orderId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = storage.ProcessedOrdersTable,
            Key = new Dictionary<string, AttributeValue> { [Attr.OrderId] = Items.S(orderId) },
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item ? ToRecord(item) : null;
    }

    /// <summary>The record as one action of a larger transaction (the reservation it reports on).</summary>
    public TransactWriteItem PutAction(ProcessedOrder order, string? customerId) =>
        new() { Put = NewRecordPut(order, customerId) };

    /// <summary>Records an answer on its own (a refusal changes no stock). False when the order already has one.</summary>
    public async Task<bool> TryRecordAsync(ProcessedOrder order, string? customerId, CancellationToken ct)
    {
        var put = NewRecordPut(order, customerId);
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = put.TableName,
                Item = put.Item,
                ConditionExpression = put.ConditionExpression,
                ExpressionAttributeNames = put.ExpressionAttributeNames,
            }, ct);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private Put NewRecordPut(ProcessedOrder order, string? customerId)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [Attr.OrderId] = Items.S(order.OrderId),
            [Attr.Outcome] = Items.S(order.Outcome),
            [Attr.OutcomeEvent] = Items.S(order.OutcomeEventJson),
            [Attr.Fingerprint] = Items.S(order.Fingerprint),
            [Attr.CreatedAt] = Items.Time(order.ProcessedAt),
            [Attr.Ttl] = Items.N(clock.GetUtcNow().AddHours(storage.IdempotencyRetentionHours).ToUnixTimeSeconds()),
        };
        if (customerId is not null)
        {
            item[Attr.CustomerId] = Items.S(customerId);
        }

        return new Put
        {
            TableName = storage.ProcessedOrdersTable,
            Item = item,
            ConditionExpression = "attribute_not_exists(#o)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#o"] = Attr.OrderId },
        };
    }

    /// <summary>The answer a processed-order item holds, exactly as the order service receives it; null if it holds none.</summary>
    public static string? OutcomeEventOf(Dictionary<string, AttributeValue> item) => Items.Str(item, Attr.OutcomeEvent);

    private static ProcessedOrder ToRecord(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.OrderId)!,
        Items.Str(item, Attr.Outcome)!,
        Items.Str(item, Attr.OutcomeEvent)!,
        Items.Str(item, Attr.Fingerprint) ?? string.Empty,
        DateTimeOffset.Parse(Items.Str(item, Attr.CreatedAt)!, System.Globalization.CultureInfo.InvariantCulture));
}
