using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// The alerts table: the alert records the change stream's projections write (each in the transaction of the state it
/// announces), and the reads of them (the admin listing, acknowledging one, and the tail the live feed and the webhook
/// follow). Every record is self-describing, so the alerts pipe turns it into an SNS message as it is.
/// </summary>
public sealed class AlertRecords(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    /// <summary>All alerts share one partition, sorted by time: recent ones are one cheap query (a few per minute at most).</summary>
    public const string StreamName = "alerts";

    /// <summary>The record_type of a status transition's alert; the alerts pipe's filter lets only alert types through.</summary>
    public const string StatusChangeType = "STOCK_STATUS_CHANGED";

    /// <summary>The record_type of a "runs out soon" alert; the alerts pipe lets these through too.</summary>
    public const string RunsOutSoonType = "STOCK_RUNS_OUT_SOON";

    private readonly string table = options.Value.AlertsTable;
    private readonly int retentionDays = options.Value.AlertRetentionDays;

    /// <summary>
    /// A self-describing alert record for the move from <paramref name="from"/> to <paramref name="after"/>'s status:
    /// everything a reader (or the pipe that turns it into an SNS message) needs is in the record itself, including a
    /// readable sentence. It commits with the status write it announces: no transition without its alert.
    /// </summary>
    public TransactWriteItem StatusChanged(InventoryRow after, StockStatus from, DateTimeOffset at) => PutAlert(
        AlertItem(StatusChangeType, after, from, at,
            $"{after.ProductId} in warehouse {after.WarehouseId} is now {after.Status} (was {from}): " +
            $"{after.AvailableCount} available of {after.StockCount} in stock, threshold {after.ThresholdLevel}."));

    /// <summary>
    /// The "runs out soon" alert, self-describing like a status alert (same table, same pipe, same SNS topic), with the
    /// figures that made it. The row's status is unchanged by it: old and new status are both the status its counts imply.
    /// </summary>
    public TransactWriteItem RunsOutSoon(InventoryRow row, StockCover cover, DateTimeOffset at)
    {
        var item = AlertItem(RunsOutSoonType, row, row.Status, at,
            $"{row.ProductId} in warehouse {row.WarehouseId} runs out soon: {cover.DaysOfCover!.Value.ToString(CultureInfo.InvariantCulture)} days of cover " +
            $"({row.AvailableCount} available, selling {cover.Velocity7Days.ToString(CultureInfo.InvariantCulture)}/day over 7 days, " +
            $"{cover.Velocity28Days.ToString(CultureInfo.InvariantCulture)}/day over 28), lead time {cover.LeadTimeDays} days.");
        item[Attr.Sold7Days] = Items.N(cover.Sold7Days);
        item[Attr.Sold28Days] = Items.N(cover.Sold28Days);
        item[Attr.Velocity7Days] = Items.N(cover.Velocity7Days);
        item[Attr.Velocity28Days] = Items.N(cover.Velocity28Days);
        item[Attr.DaysOfCover] = Items.N(cover.DaysOfCover.Value);
        item[Attr.LeadTimeDays] = Items.N(cover.LeadTimeDays!.Value);
        return PutAlert(item);
    }

    /// <summary>What every alert record holds: where it sorts, what it is, the row's counts and statuses, and its sentence.</summary>
    private Dictionary<string, AttributeValue> AlertItem(string type, InventoryRow row, StockStatus from, DateTimeOffset at, string message)
    {
        var id = Guid.NewGuid().ToString("N");
        return new Dictionary<string, AttributeValue>
        {
            [Attr.AlertStream] = Items.S(StreamName),
            [Attr.AlertSortKey] = Items.S($"{Items.FormatTime(at)}#{id}"),
            [Attr.AlertId] = Items.S(id),
            [Attr.RecordType] = Items.S(type),
            [Attr.ProductId] = Items.S(row.ProductId),
            [Attr.WarehouseId] = Items.S(row.WarehouseId),
            [Attr.StockCount] = Items.N(row.StockCount),
            [Attr.AvailableCount] = Items.N(row.AvailableCount),
            [Attr.ThresholdLevel] = Items.N(row.ThresholdLevel),
            [Attr.OldStatus] = Items.S(from.ToString()),
            [Attr.NewStatus] = Items.S(row.Status.ToString()),
            [Attr.CreatedAt] = Items.Time(at),
            [Attr.Message] = Items.S(message),
            [Attr.Ttl] = Items.N(at.AddDays(retentionDays).ToUnixTimeSeconds()),
        };
    }

    private TransactWriteItem PutAlert(Dictionary<string, AttributeValue> item) => new() { Put = new Put { TableName = table, Item = item } };

    /// <summary>
    /// Recent status transitions, newest first. All alerts share one partition sorted by time, so the filters are
    /// applied to each page after it is read: a filtered page may hold fewer than <paramref name="limit"/> alerts, even
    /// none, and still have a next page.
    /// </summary>
    public async Task<AlertPage> ListAsync(int limit, string? nextToken, AlertFilter filter, CancellationToken ct)
    {
        var names = new Dictionary<string, string> { ["#s"] = Attr.AlertStream };
        var values = new Dictionary<string, AttributeValue> { [":s"] = Items.S(StreamName) };
        var conditions = new List<string>();
        if (filter.Acknowledged is { } acknowledged)
        {
            names["#ackAt"] = Attr.AcknowledgedAt;
            conditions.Add(acknowledged ? "attribute_exists(#ackAt)" : "attribute_not_exists(#ackAt)");
        }

        if (filter.Status is { } status)
        {
            names["#ns"] = Attr.NewStatus;
            values[":ns"] = Items.S(status.ToString());
            conditions.Add("#ns = :ns");
        }

        if (filter.ProductId is { } productId)
        {
            names["#p"] = Attr.ProductId;
            values[":p"] = Items.S(productId);
            conditions.Add("#p = :p");
        }

        if (filter.Type is { } type)
        {
            names["#rt"] = Attr.RecordType;
            values[":rt"] = Items.S(type == AlertType.RUNS_OUT_SOON ? RunsOutSoonType : StatusChangeType);
            conditions.Add("#rt = :rt");
        }

        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#s = :s",
            FilterExpression = conditions.Count > 0 ? string.Join(" AND ", conditions) : null,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ScanIndexForward = false,
            Limit = limit,
            ConsistentRead = true,
            ExclusiveStartKey = PageToken.Decode(nextToken, (Attr.AlertStream, StreamName), (Attr.AlertSortKey, null)),
        }, ct);
        var alerts = (response.Items ?? []).Select(ToAlert).ToList();
        return new AlertPage(alerts, PageToken.Encode(response.LastEvaluatedKey));
    }

    /// <summary>
    /// Records that <paramref name="by"/> has seen the alert. Idempotent: an alert acknowledged before keeps its first
    /// acknowledgement and is answered as it is. Null when there is no such alert.
    /// </summary>
    public async Task<StockAlert?> AcknowledgeAsync(string alertId, string by, DateTimeOffset at, CancellationToken ct)
    {
        if (await FindAlertAsync(alertId, ct) is not { } item)
        {
            return null;
        }

        var key = new Dictionary<string, AttributeValue> { [Attr.AlertStream] = item[Attr.AlertStream], [Attr.AlertSortKey] = item[Attr.AlertSortKey] };
        try
        {
            var updated = await dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = table,
                Key = key,
                UpdateExpression = "SET #by = :by, #at = :at",
                ConditionExpression = "attribute_exists(#id) AND attribute_not_exists(#at)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#by"] = Attr.AcknowledgedBy, ["#at"] = Attr.AcknowledgedAt, ["#id"] = Attr.AlertId },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":by"] = Items.S(by), [":at"] = Items.Time(at) },
                ReturnValues = ReturnValue.ALL_NEW,
            }, ct);
            return ToAlert(updated.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            // Acknowledged already (or expired away just now): answer what is stored.
            var current = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true }, ct);
            return current.Item is { Count: > 0 } stored ? ToAlert(stored) : null;
        }
    }

    /// <summary>
    /// The alert's item, looked for newest first: the key holds the alert's time, not its id, and the alerts someone
    /// acknowledges are recent, so this is usually the first page. An unknown id reads the whole partition (30 days).
    /// </summary>
    private async Task<Dictionary<string, AttributeValue>?> FindAlertAsync(string alertId, CancellationToken ct)
    {
        await foreach (var item in Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#s = :s",
            FilterExpression = "#id = :id",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.AlertStream, ["#id"] = Attr.AlertId },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":s"] = Items.S(StreamName), [":id"] = Items.S(alertId) },
            ScanIndexForward = false,
            ConsistentRead = true,
        }, ct))
        {
            return item;
        }

        return null;
    }

    /// <summary>
    /// Alerts recorded at or after <paramref name="since"/> (by the writer's clock), oldest first, for the live
    /// feed and the webhook to tail the table.
    /// </summary>
    public async Task<IReadOnlyList<StockAlert>> SinceAsync(DateTimeOffset since, CancellationToken ct) =>
        await Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#s = :s AND #k >= :since",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.AlertStream, ["#k"] = Attr.AlertSortKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":s"] = Items.S(StreamName),
                [":since"] = Items.Time(since),
            },
            ConsistentRead = true,
        }, ct).Select(ToAlert).ToListAsync(ct);

    /// <summary>The alert an alerts-table item records, or null for the table's other items (the live feed's cursors).</summary>
    public static StockAlert? AlertOf(Dictionary<string, AttributeValue> item) =>
        Items.Str(item, Attr.RecordType) is StatusChangeType or RunsOutSoonType ? ToAlert(item) : null;

    private static StockAlert ToAlert(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.AlertId)!,
        Items.Str(item, Attr.ProductId)!,
        Items.Str(item, Attr.WarehouseId)!,
        Items.Long(item, Attr.StockCount),
        Items.Long(item, Attr.AvailableCount),
        Items.Long(item, Attr.ThresholdLevel),
        Enum.Parse<StockStatus>(Items.Str(item, Attr.OldStatus)!),
        Enum.Parse<StockStatus>(Items.Str(item, Attr.NewStatus)!),
        DateTimeOffset.Parse(Items.Str(item, Attr.CreatedAt)!, System.Globalization.CultureInfo.InvariantCulture),
        Items.Str(item, Attr.Message)!,
        Items.Str(item, Attr.AcknowledgedBy),
        Items.Str(item, Attr.AcknowledgedAt) is { } acknowledgedAt
            ? DateTimeOffset.Parse(acknowledgedAt, System.Globalization.CultureInfo.InvariantCulture)
            : null,
        Items.Str(item, Attr.RecordType) == RunsOutSoonType ? AlertType.RUNS_OUT_SOON : AlertType.STATUS_CHANGE,
        item.ContainsKey(Attr.Sold7Days) ? Items.Long(item, Attr.Sold7Days) : null,
        item.ContainsKey(Attr.Sold28Days) ? Items.Long(item, Attr.Sold28Days) : null,
        Items.Decimal(item, Attr.Velocity7Days),
        Items.Decimal(item, Attr.Velocity28Days),
        Items.Decimal(item, Attr.DaysOfCover),
        item.ContainsKey(Attr.LeadTimeDays) ? (int)Items.Long(item, Attr.LeadTimeDays) : null);
}
