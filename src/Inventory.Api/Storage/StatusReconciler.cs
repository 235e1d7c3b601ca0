using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// The work that follows a committed stock change: bringing the row's stored status (which the status index and
/// the alerts rely on) in line with its counts, with the alert record of the transition in the same transaction.
/// Responses never depend on it: every answer computes the status from the counts.
/// <para>
/// After a write it runs <see cref="AfterCommitAsync(IEnumerable{ValueTuple{string, string}})"/>: detached from the
/// request (a client that hangs up does not cancel it), bounded in time, and never failing the request, because
/// the write it follows has already happened. Replays call it too, so a retry repairs what a first call may have
/// left stale. Whatever it cannot finish, the scheduled threshold check repairs.
/// </para>
/// </summary>
public sealed class StatusReconciler(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, IOptions<StorageOptions> options, TimeProvider clock, ILogger<StatusReconciler> logger)
{
    /// <summary>All alerts share one partition, sorted by time: recent ones are one cheap query (a few per minute at most).</summary>
    public const string AlertStreamName = "alerts";

    private readonly string inventoryTable = options.Value.InventoryTable;
    private readonly string alertsTable = options.Value.AlertsTable;
    private readonly int alertRetentionDays = options.Value.AlertRetentionDays;

    /// <summary>How long post-commit work may take in all: a few DynamoDB round trips, retries included.</summary>
    private TimeSpan Budget => TimeSpan.FromSeconds(Math.Max(1, options.Value.RequestTimeoutSeconds) * 2);

    /// <summary>Reconciles the rows a committed write touched; logs and leaves to the threshold check what it cannot.</summary>
    public async Task AfterCommitAsync(IEnumerable<(string ProductId, string WarehouseId)> rows)
    {
        using var budget = new CancellationTokenSource(Budget);
        await Task.WhenAll(rows.Distinct().Select(key => ReadAndReconcileAsync(key.ProductId, key.WarehouseId, budget.Token)));
    }

    /// <summary>The row as it is now, reconciled; null only if it could not be read (logged).</summary>
    public async Task<InventoryRow?> AfterCommitAsync(string productId, string warehouseId)
    {
        using var budget = new CancellationTokenSource(Budget);
        return await ReadAndReconcileAsync(productId, warehouseId, budget.Token);
    }

    /// <summary>A row the caller already holds (from the write itself), reconciled; the row as given if that fails.</summary>
    public async Task<InventoryRow> AfterCommitAsync(InventoryRow row)
    {
        using var budget = new CancellationTokenSource(Budget);
        try
        {
            return await ReconcileAsync(row, budget.Token);
        }
        catch (Exception e)
        {
            Left(e, row.ProductId, row.WarehouseId);
            return row;
        }
    }

    private async Task<InventoryRow?> ReadAndReconcileAsync(string productId, string warehouseId, CancellationToken budget)
    {
        try
        {
            var item = (await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = inventoryTable,
                Key = Items.InventoryKey(productId, warehouseId),
                ConsistentRead = true,
            }, budget)).Item;
            return item is { Count: > 0 } ? await ReconcileAsync(Items.ToRow(item), budget) : null;
        }
        catch (Exception e)
        {
            Left(e, productId, warehouseId);
            return null;
        }
    }

    private void Left(Exception e, string productId, string warehouseId) =>
        logger.LogWarning(e, "Status of {ProductId}/{WarehouseId} not reconciled after a committed write; the next write to it or the threshold check will", productId, warehouseId);

    /// <summary>
    /// Writes the status the counts imply, with its alert, if the stored one differs (<see cref="StockRows.PinStatus"/>:
    /// a newer write always wins and one transition is recorded at most once).
    /// </summary>
    public async Task<InventoryRow> ReconcileAsync(InventoryRow row, CancellationToken ct)
    {
        if (!row.StatusIsStale)
        {
            return row;
        }

        var now = clock.UtcNowMillis();

        // The alert commits with the transition (a transactional outbox): no alert for a change that did not
        // happen, no transition without its alert.
        var transaction = new Transaction();
        transaction.Add(rows.PinStatus(row));
        transaction.Add(new TransactWriteItem { Put = new Put { TableName = alertsTable, Item = AlertItem(row, now) } });
        var outcome = await writes.CommitAsync(transaction, ct);

        if (!outcome.IsCommitted)
        {
            // A later write moved the row on; that writer reconciles from its own, newer values.
            return row;
        }

        logger.LogInformation(
            "Status of {ProductId}/{WarehouseId} changed from {OldStatus} to {NewStatus} (available {Available}, threshold {Threshold})",
            row.ProductId, row.WarehouseId, row.StoredStatus, row.Status, row.AvailableCount, row.ThresholdLevel);
        return row with { StoredStatus = row.Status };
    }

    /// <summary>
    /// A self-describing alert record: everything a reader (or an EventBridge Pipe input template turning it into
    /// an email) needs is in the record itself, including a readable sentence.
    /// </summary>
    private Dictionary<string, AttributeValue> AlertItem(InventoryRow row, DateTimeOffset now)
    {
        var id = Guid.NewGuid().ToString("N");
        return new Dictionary<string, AttributeValue>
        {
            [Attr.AlertStream] = Items.S(AlertStreamName),
            [Attr.AlertSortKey] = Items.S($"{Items.FormatTime(now)}#{id}"),
            [Attr.AlertId] = Items.S(id),
            [Attr.RecordType] = Items.S("STOCK_STATUS_CHANGED"),
            [Attr.ProductId] = Items.S(row.ProductId),
            [Attr.WarehouseId] = Items.S(row.WarehouseId),
            [Attr.StockCount] = Items.N(row.StockCount),
            [Attr.AvailableCount] = Items.N(row.AvailableCount),
            [Attr.ThresholdLevel] = Items.N(row.ThresholdLevel),
            [Attr.OldStatus] = Items.S(row.StoredStatus.ToString()),
            [Attr.NewStatus] = Items.S(row.Status.ToString()),
            [Attr.CreatedAt] = Items.Time(now),
            [Attr.Message] = Items.S(
                $"{row.ProductId} in warehouse {row.WarehouseId} is now {row.Status} (was {row.StoredStatus}): " +
                $"{row.AvailableCount} available of {row.StockCount} in stock, threshold {row.ThresholdLevel}."),
            [Attr.Ttl] = Items.N(now.AddDays(alertRetentionDays).ToUnixTimeSeconds()),
        };
    }

}
