using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record StockChange(long? StockCount, long? ThresholdLevel, string? Category);

public sealed record Adjustment(string WarehouseId, long Delta, string Reason, DateTimeOffset AppliedAt);

/// <summary><c>Row</c> is the row as read after the adjustment committed (or after a replay found it); null if it is gone.</summary>
public sealed record AdjustmentResult(Adjustment Adjustment, InventoryRow? Row, bool Replayed);

public sealed record RowPage(IReadOnlyList<InventoryRow> Rows, string? NextToken);

/// <summary>Stock rows: reads, admin writes, listings and the threshold check.</summary>
public sealed class InventoryStore(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, HotRows hot, IdempotencyRecords idempotency,
    IOptions<StorageOptions> options, TimeProvider clock, ILogger<InventoryStore> logger)
{
    private readonly string table = options.Value.InventoryTable;
    private readonly string productsTable = options.Value.ProductsTable;

    /// <summary>
    /// All warehouse rows of a product, strongly consistent (what a shopper's decision rests on); a hot row with its
    /// sub-rows added in.
    /// </summary>
    public async Task<IReadOnlyList<InventoryRow>> GetRowsAsync(string productId, CancellationToken ct) =>
        await hot.AddUpAsync(await Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#p = :p",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":p"] = Items.S(productId) },
            ConsistentRead = true,
        }, ct).Select(Items.ToRow).ToListAsync(ct), ct);

    public async Task<InventoryRow?> GetRowAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = Items.InventoryKey(productId, warehouseId),
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item ? (await hot.AddUpAsync([Items.ToRow(item)], ct))[0] : null;
    }

    /// <summary>Fills in the warehouse of items that name none, by <see cref="WarehouseChoice"/>; refuses those none can supply.</summary>
    public async Task<List<ReserveItem>> ResolveWarehousesAsync(IReadOnlyList<ReserveItem> items, CancellationToken ct)
    {
        var resolved = new List<ReserveItem>(items.Count);
        var shortages = new List<ItemShortage>();
        foreach (var item in items)
        {
            if (item.WarehouseId is not null)
            {
                resolved.Add(item);
                continue;
            }

            var found = await GetRowsAsync(item.ProductId, ct);
            if (found.Count == 0)
            {
                throw Problems.ProductNotFound(item.ProductId);
            }

            if (WarehouseChoice.Pick(found, item.Quantity) is { } row)
            {
                resolved.Add(item with { WarehouseId = row.WarehouseId });
            }
            else
            {
                shortages.Add(new ItemShortage(item.ProductId, null, item.Quantity, found.Max(r => r.AvailableCount), "insufficient_stock"));
            }
        }

        return shortages.Count > 0 ? throw Problems.Shortage(shortages) : resolved;
    }

    /// <summary>Why a write found no row: no such product at all, or no row in that warehouse.</summary>
    public async Task<InventoryException> MissingRowProblemAsync(string productId, string warehouseId, CancellationToken ct) =>
        (await GetRowsAsync(productId, ct)).Count == 0
            ? Problems.ProductNotFound(productId)
            : Problems.WarehouseNotFound(productId, warehouseId);

    /// <summary>
    /// The admin's absolute write. With a version it updates in place: <c>available_count</c> is computed
    /// inside the write from the live <c>reserved_count</c>, so a hold taken a millisecond earlier is never
    /// lost. Without a version it only creates a missing row (for a product that exists), whose threshold, unless
    /// the change gives one, is the product's, or <paramref name="defaultThreshold"/> for a product that has none
    /// stored (created before products kept one).
    /// </summary>
    public async Task<InventoryRow> SetAsync(
        string productId, string warehouseId, StockChange change, long? expectedVersion, bool versionFromIfMatch, long defaultThreshold,
        Actor by, CancellationToken ct) =>
        expectedVersion is null
            ? await CreateRowAsync(productId, warehouseId, change, defaultThreshold, by, ct)
            : await UpdateRowAsync(productId, warehouseId, change, expectedVersion.Value, versionFromIfMatch, by, ct);

    private async Task<InventoryRow> CreateRowAsync(
        string productId, string warehouseId, StockChange change, long defaultThreshold, Actor by, CancellationToken ct)
    {
        // A threshold of 0 would never report the new warehouse as low on stock, and a row without the product's
        // category would be missing from its category listing: both start at the product's.
        var (productThreshold, productCategory) = change.ThresholdLevel is null || change.Category is null
            ? await ProductDefaultsAsync(productId, ct)
            : (null, null);
        var threshold = change.ThresholdLevel ?? productThreshold ?? defaultThreshold;
        var transaction = new Transaction();
        var product = transaction.Add(new TransactWriteItem
        {
            ConditionCheck = new ConditionCheck
            {
                TableName = productsTable,
                Key = Items.ProductKey(productId),
                ConditionExpression = "attribute_exists(#s)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.Sku },
            },
        });
        var create = transaction.Add(rows.Create(
            productId, warehouseId, change.StockCount ?? 0, threshold, change.Category ?? productCategory, clock.UtcNowMillis(), by, out var row));

        var outcome = await writes.CommitAsync(transaction, ct);
        if (outcome.IsCommitted)
        {
            return row;
        }

        throw outcome.Failed(product) ? Problems.ProductNotFound(productId) : Problems.PreconditionRequired(Items.ToRow(outcome.OldItem(create)!));
    }

    /// <summary>
    /// The threshold the product was created with, or null if it has none stored. A product that does not exist reads
    /// as null too: the row's creation then refuses it, through its condition on the product.
    /// </summary>
    private async Task<(long? Threshold, string? Category)> ProductDefaultsAsync(string productId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = productsTable,
            Key = Items.ProductKey(productId),
            ProjectionExpression = "#t, #c",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#t"] = Attr.ThresholdLevel, ["#c"] = Attr.Category },
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item
            ? (item.ContainsKey(Attr.ThresholdLevel) ? Items.Long(item, Attr.ThresholdLevel) : null, Items.Str(item, Attr.Category))
            : (null, null);
    }

    /// <summary>
    /// Reads the row, then writes the new counts guarded by the version (<see cref="StockRows.SetCounts"/>): holds do
    /// not move the version, so they never make this write fail. Answers the row as read after the write.
    /// </summary>
    private async Task<InventoryRow> UpdateRowAsync(
        string productId, string warehouseId, StockChange change, long expectedVersion, bool versionFromIfMatch, Actor by, CancellationToken ct)
    {
        var current = await GetRowAsync(productId, warehouseId, ct) ?? throw await MissingRowProblemAsync(productId, warehouseId, ct);
        if (current.Version != expectedVersion)
        {
            throw Problems.VersionConflict(versionFromIfMatch, current);
        }

        if (change.StockCount is { } stock && stock < current.ReservedCount)
        {
            throw Problems.StockBelowReserved(stock, current.ReservedCount);
        }

        if (current.IsSpread)
        {
            return await UpdateSpreadRowAsync(current, change, versionFromIfMatch, by, ct);
        }

        var transaction = new Transaction();
        var write = transaction.Add(rows.SetCounts(current, change, clock.UtcNowMillis(), by));
        var outcome = await writes.CommitAsync(transaction, ct);
        if (outcome.IsCommitted)
        {
            var written = current with
            {
                StockCount = change.StockCount ?? current.StockCount,
                ThresholdLevel = change.ThresholdLevel ?? current.ThresholdLevel,
                AvailableCount = (change.StockCount ?? current.StockCount) - current.ReservedCount,
                Category = change.Category ?? current.Category,
                Version = current.Version + 1,
            };
            return await RowAfterCommitAsync(productId, warehouseId) ?? written;
        }

        // Between the read and the write: another admin write (the version moved), or holds passed the new stock.
        var now = outcome.OldItem(write) is { } old ? Items.ToRow(old) : throw await MissingRowProblemAsync(productId, warehouseId, ct);
        throw now.Version != expectedVersion
            ? Problems.VersionConflict(versionFromIfMatch, now)
            : Problems.StockBelowReserved(change.StockCount ?? now.StockCount, now.ReservedCount);
    }

    /// <summary>
    /// The admin's absolute write on a hot row: its stock is spread over sub-rows, so the new stock is written as the
    /// difference from the total read, on sub-row 0 (gathering units there first for a write-down), still guarded by
    /// the version. A sale on a sub-row does not move the row's version, so a sale between the read and the write
    /// lowers the result by what it sold instead of refusing the write.
    /// </summary>
    private async Task<InventoryRow> UpdateSpreadRowAsync(InventoryRow current, StockChange change, bool versionFromIfMatch, Actor by, CancellationToken ct)
    {
        var delta = (change.StockCount ?? current.StockCount) - current.StockCount;
        if (delta < 0)
        {
            await hot.GatherAsync(current.ProductId, current.WarehouseId, -delta, ct);
        }

        var transaction = new Transaction();
        var write = transaction.Add(rows.SetSpreadCounts(current, delta, change, clock.UtcNowMillis(), by));
        var outcome = await writes.CommitAsync(transaction, ct);
        if (outcome.IsCommitted)
        {
            return await RowAfterCommitAsync(current.ProductId, current.WarehouseId) ?? current;
        }

        var now = await GetRowAsync(current.ProductId, current.WarehouseId, ct) ?? throw await MissingRowProblemAsync(current.ProductId, current.WarehouseId, ct);
        throw now.Version != current.Version
            ? Problems.VersionConflict(versionFromIfMatch, now)
            : Problems.StockBelowReserved(change.StockCount ?? now.StockCount, now.ReservedCount);
    }

    /// <summary>
    /// A relative change (+50 received, -3 damaged), atomic with its idempotency record: replaying the
    /// same key returns the first outcome and never counts twice.
    /// </summary>
    public async Task<AdjustmentResult> AdjustAsync(
        string productId, string warehouseId, long delta, string reason, string idempotencyKey, Actor by, CancellationToken ct)
    {
        var key = IdempotencyRecords.KeyOf("adjust", productId, idempotencyKey);
        var fingerprint = Domain.Fingerprint.Of("adjust", productId, warehouseId, delta, reason);
        var adjustment = new Adjustment(warehouseId, delta, reason, clock.UtcNowMillis());

        for (var gathered = false; ; gathered = true)
        {
            var transaction = new Transaction();
            var change = transaction.Add(rows.Adjust(productId, warehouseId, delta, adjustment.AppliedAt, new MoveCause(MoveKind.ADJUSTMENT, by, reason, idempotencyKey)));
            var record = transaction.Add(idempotency.PutAction(key, fingerprint, JsonSerializer.Serialize(adjustment, Infrastructure.AppJsonContext.Default.Adjustment)));
            var outcome = await writes.CommitAsync(transaction, ct);

            if (!outcome.IsCommitted)
            {
                if (outcome.Failed(record))
                {
                    var first = IdempotencyRecords.ToRecord(outcome.OldItem(record)!);
                    if (first.Fingerprint != fingerprint)
                    {
                        throw Problems.IdempotencyConflict(idempotencyKey);
                    }

                    // The adjustment happened: the replay answers it, with the row as it is now.
                    var applied = JsonSerializer.Deserialize(first.ResultJson, Infrastructure.AppJsonContext.Default.Adjustment)!;
                    return new AdjustmentResult(applied, await RowAfterCommitAsync(productId, warehouseId), Replayed: true);
                }

                var current = Items.ToRow(outcome.OldItem(change) ?? throw await MissingRowProblemAsync(productId, warehouseId, ct));
                if (delta < 0 && current.IsSpread && !gathered)
                {
                    // A hot row's write-off takes from sub-row 0: bring the units there from the other sub-rows first.
                    await hot.GatherAsync(productId, warehouseId, -delta, ct);
                    continue;
                }

                var total = current.IsSpread ? await GetRowAsync(productId, warehouseId, ct) ?? current : current;
                throw delta > 0
                    ? Problems.StockLimit(total.StockCount, delta)
                    : Problems.InsufficientStock(productId, warehouseId, -delta, total.AvailableCount);
            }

            return new AdjustmentResult(adjustment, await RowAfterCommitAsync(productId, warehouseId), Replayed: false);
        }
    }

    /// <summary>
    /// The row as it is after a committed write, to answer with; null if it cannot be read (logged), because the
    /// write happened and its answer must not become a failure. Not tied to the caller's connection.
    /// </summary>
    private async Task<InventoryRow?> RowAfterCommitAsync(string productId, string warehouseId)
    {
        try
        {
            return await GetRowAsync(productId, warehouseId, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Row {ProductId}/{WarehouseId} not read back after a committed write", productId, warehouseId);
            return null;
        }
    }

    /// <summary>Admin listing: by category or stored status (through their indexes), or everything.</summary>
    public async Task<RowPage> ListAsync(string? category, StockStatus? status, int limit, string? nextToken, CancellationToken ct)
    {
        if (category is null && status is null)
        {
            var scan = await dynamo.ScanAsync(new ScanRequest
            {
                TableName = table,
                Limit = limit,
                ConsistentRead = true,
                ExclusiveStartKey = PageToken.Decode(nextToken, (Attr.ProductId, null), (Attr.WarehouseId, null)),
            }, ct);
            // A hot row's sub-rows are part of its row, not rows of their own: skipped, and added into the row.
            var listed = (scan.Items ?? []).Where(i => !i.ContainsKey(Attr.SubRowOf)).Select(Items.ToRow).ToList();
            return new RowPage(await hot.AddUpAsync(listed, ct), PageToken.Encode(scan.LastEvaluatedKey));
        }

        var (index, attribute, value) = category is not null
            ? (Indexes.Category, Attr.Category, category)
            : (Indexes.Status, Attr.Status, status!.Value.ToString());
        var query = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = table,
            IndexName = index,
            KeyConditionExpression = "#k = :k",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#k"] = attribute },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":k"] = Items.S(value) },
            Limit = limit,
            ExclusiveStartKey = PageToken.Decode(nextToken, (attribute, value), (Attr.ProductId, null), (Attr.WarehouseId, null)),
        }, ct);

        // The indexes project keys only, so the hot reserve path never pays for index writes; the rows
        // themselves are fetched strongly consistent. A row is listed under a status only while its counts say so:
        // the index follows the stream, so a row that just moved is in the next status's listing a moment later.
        var keys = (query.Items ?? []).Select(k => Items.InventoryKey(k[Attr.ProductId].S, k[Attr.WarehouseId].S)).ToList();
        var rows = await hot.AddUpAsync(await BatchGetRowsAsync(keys, ct), ct);
        if (status is { } wanted)
        {
            rows = rows.Where(r => r.Status == wanted).ToList();
        }

        return new RowPage(rows, PageToken.Encode(query.LastEvaluatedKey));
    }

    private async Task<List<InventoryRow>> BatchGetRowsAsync(List<Dictionary<string, AttributeValue>> keys, CancellationToken ct)
    {
        var found = (await Reads.BatchGetAllAsync(dynamo, table, keys, ct))
            .Select(Items.ToRow)
            .ToDictionary(r => (r.ProductId, r.WarehouseId));
        return keys
            .Select(k => found.GetValueOrDefault((k[Attr.ProductId].S, k[Attr.WarehouseId].S)))
            .OfType<InventoryRow>()
            .ToList();
    }

    /// <summary>A cheap strongly consistent read that proves the table answers (for /health).</summary>
    public async Task PingAsync(CancellationToken ct) =>
        await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = Items.InventoryKey("~health", "~health"),
            ConsistentRead = true,
        }, ct);
}
