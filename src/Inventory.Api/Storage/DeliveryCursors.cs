using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>The last alert a sink has taken: its time and id (alerts are ordered by both).</summary>
public sealed record DeliveryCursor(DateTimeOffset At, string AlertId);

/// <summary>
/// How far each local alert sink (the webhook) has delivered, kept in the alerts table under its own partition
/// so a restart resumes where delivery stopped instead of skipping what was written meanwhile.
/// </summary>
public sealed class DeliveryCursors(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private const string Partition = "delivery-cursors";

    private readonly string table = options.Value.AlertsTable;

    public async Task<DeliveryCursor?> GetAsync(string sink, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(sink), ConsistentRead = true }, ct);
        return response.Item is { Count: > 0 } item
            ? new DeliveryCursor(
                DateTimeOffset.Parse(Items.Str(item, Attr.CreatedAt)!, System.Globalization.CultureInfo.InvariantCulture),
                Items.Str(item, Attr.AlertId) ?? string.Empty)
            : null;
    }

    public async Task SaveAsync(string sink, DeliveryCursor cursor, CancellationToken ct)
    {
        var item = Key(sink);
        item[Attr.CreatedAt] = Items.Time(cursor.At);
        item[Attr.AlertId] = Items.S(cursor.AlertId);
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = item }, ct);
    }

    private static Dictionary<string, AttributeValue> Key(string sink) => new()
    {
        [Attr.AlertStream] = Items.S(Partition),
        [Attr.AlertSortKey] = Items.S(sink),
    };
}
