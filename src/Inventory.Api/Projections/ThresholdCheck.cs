using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Projections;

public sealed record ThresholdCheckResult(int RowsScanned, int StatusesRepaired);

/// <summary>The status projection's backstop, run on a schedule: repairs the stored status of rows the stream missed.</summary>
public sealed class ThresholdCheck(
    IAmazonDynamoDB dynamo, StatusProjection statuses, IOptions<StorageOptions> options, TimeProvider clock, ILogger<ThresholdCheck> logger)
{
    /// <summary>How many stale rows the threshold check repairs at once; bounded so it does not crowd out live traffic.</summary>
    private const int RepairParallelism = 16;

    private readonly string table = options.Value.InventoryTable;
    private readonly TimeSpan repairQuietFor = TimeSpan.FromSeconds(options.Value.StatusRepairQuietSeconds);

    /// <summary>
    /// The scheduled threshold check, the backstop behind the change stream: pages through every row, holding one page
    /// in memory at a time, and stores the status (with its alert) of each row that has been unchanged for
    /// <see cref="StorageOptions.StatusRepairQuietSeconds"/> and still stores a status its counts do not imply (a change record the stream
    /// gave up on, a row edited by hand).
    /// </summary>
    public async Task<ThresholdCheckResult> RunAsync(CancellationToken ct)
    {
        var scanned = 0;
        var repaired = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = RepairParallelism, CancellationToken = ct };
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start, ConsistentRead = true }, ct);
            var items = page.Items ?? [];
            scanned += items.Count;

            // Repairs are independent rows, so a page full of them (after an outage, say) is not repaired one by one;
            // one row that cannot be repaired now is logged and left for the next run, never stopping the others.
            var now = clock.UtcNowMillis();
            await Parallel.ForEachAsync(items.Where(i => NeedsStatus(i) || i.ContainsKey(Attr.SubRowCount)), parallel, async (item, token) =>
            {
                try
                {
                    if (await statuses.RepairAsync(item, now, repairQuietFor, token))
                    {
                        Interlocked.Increment(ref repaired);
                    }
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Status of {ProductId}/{WarehouseId} not repaired; the next threshold check tries again",
                        Items.Str(item, Attr.ProductId), Items.Str(item, Attr.WarehouseId));
                }
            });

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        if (repaired > 0)
        {
            logger.LogWarning("Threshold check repaired the status of {Repaired} of {Scanned} rows", repaired, scanned);
        }

        return new ThresholdCheckResult(scanned, repaired);
    }

    /// <summary>Whether the row needs its status repaired; a row this service cannot read is logged and left alone, never stopping the check.</summary>
    private bool NeedsStatus(Dictionary<string, AttributeValue> item)
    {
        try
        {
            return StatusProjection.NeedsStatus(item);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            logger.LogError(e, "Row {ProductId}/{WarehouseId} cannot be read; its status is not checked",
                Items.Str(item, Attr.ProductId), Items.Str(item, Attr.WarehouseId));
            return false;
        }
    }
}
