using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record StockChange(long? StockCount, long? ThresholdLevel, string? Category);

public sealed record RowPage(IReadOnlyList<InventoryRow> Rows, string? NextToken);

/// <summary>Reads of the stock rows (a product's, one row, the listings), each hot row read as the sum of its sub-rows.</summary>
public sealed class InventoryStore(IAmazonDynamoDB dynamo, HotRows hot, IOptions<StorageOptions> options, ILogger<InventoryStore> logger)
{
    private readonly string table = options.Value.InventoryTable;

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
    /// The row as it is after a committed write, to answer with; null if it cannot be read (logged), because the
    /// write happened and its answer must not become a failure. Not tied to the caller's connection.
    /// </summary>
    public async Task<InventoryRow?> RowAfterCommitAsync(string productId, string warehouseId)
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
