using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;
using Inventory.Api.Infrastructure;

namespace Inventory.Api.Storage;

/// <summary>What marking a row hot, or folding it back, did.</summary>
public sealed record SpreadResult(string ProductId, string WarehouseId, int SubRows, bool Folding, IReadOnlyList<long> AvailableBySubRow);

/// <summary>
/// Hot rows (<see cref="SubRows"/>): spreading a row's units over sub-rows, adding them up for reads, moving units
/// between them (the rebalance), and folding them back into one row. Every move is one transaction of
/// <see cref="StockRows.Shift"/>s that add up to zero, each conditioned on the units it takes being available, so a
/// rebalance racing holds either applies whole or not at all and no unit is lost or invented.
/// </summary>
public sealed class HotRows(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, ReservationRecords records, IOptions<StorageOptions> options, IOptions<AttemptOptions> attempts,
    TimeProvider clock, ILogger<HotRows> logger)
    : IDisposable
{
    private readonly int moveAttempts = attempts.Value.SubRowMoves;

    /// <summary>
    /// Holds that ended this recently before a row is marked hot get a claim too: one released between the marking and
    /// the read of the holds, or a retry still on its way. Short, as a busy product ends many holds a second.
    /// </summary>
    private static readonly TimeSpan RecentlyEnded = TimeSpan.FromSeconds(10);

    /// <summary>How long the list of hot rows is taken as known before a hold reads it again.</summary>
    private static readonly TimeSpan DirectoryFreshFor = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan RebalanceInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Units gathered on sub-row 0 (for a direct sale, a write-off, a hold larger than a sub-row) stay there this long
    /// before a rebalance may spread them again: the write that needed them comes right after the gather.
    /// </summary>
    private static readonly TimeSpan GatheredKeptFor = TimeSpan.FromSeconds(5);

    private readonly string table = options.Value.InventoryTable;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), long> lastRebalance = new();
    private readonly SemaphoreSlim directoryRead = new(1, 1);
    private volatile Directory? directory;

    public void Dispose() => directoryRead.Dispose();

    /// <summary>The spread rows as last read (hot, or folding back); a row absent is one row.</summary>
    private sealed record Directory(IReadOnlyDictionary<(string, string), HoldSpread> Rows, long ReadAt);

    /// <summary>
    /// Over how many sub-rows a hold on this row may spread (1: take from the row itself) and whether it must claim its
    /// id, from the list of spread rows read at most a second ago: one small read per instance and second, whatever the
    /// traffic, and none per hold. A row marked hot since costs a hold one refused try: the row refuses a hold without a
    /// claim and, in doing so, tells that it is spread (<see cref="InventoryRow.IsSpread"/>).
    /// </summary>
    public async Task<HoldSpread> HoldSpreadAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var known = directory;
        if (known is null || clock.GetElapsedTime(known.ReadAt) > DirectoryFreshFor)
        {
            await directoryRead.WaitAsync(ct);
            try
            {
                known = directory;
                if (known is null || clock.GetElapsedTime(known.ReadAt) > DirectoryFreshFor)
                {
                    var started = clock.GetTimestamp();
                    var listed = await Reads.QueryAllAsync(dynamo, new QueryRequest
                    {
                        TableName = table,
                        IndexName = Indexes.HotRows,
                        KeyConditionExpression = "#hot = :hot",
                        ExpressionAttributeNames = new Dictionary<string, string> { ["#hot"] = Attr.HotListing },
                        ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":hot"] = Items.S(Indexes.HotListingValue) },
                    }, ct).Select(Items.ToRow).ToListAsync(ct);
                    known = new Directory(listed.ToDictionary(r => (r.ProductId, r.WarehouseId), HoldSpread.Of), started);
                    directory = known;
                }
            }
            finally
            {
                directoryRead.Release();
            }
        }

        return known.Rows.TryGetValue((productId, warehouseId), out var spread) ? spread : HoldSpread.OneRow;
    }

    /// <summary>
    /// The rows as clients see them: each spread row with its sub-rows' counts added in (one strongly consistent batch
    /// read of the sub-rows; rows that are not spread cost nothing more).
    /// </summary>
    public async Task<IReadOnlyList<InventoryRow>> AddUpAsync(IReadOnlyList<InventoryRow> found, CancellationToken ct)
    {
        var spread = found.Where(r => r.IsSpread).ToList();
        if (spread.Count == 0)
        {
            return found;
        }

        var keys = spread.SelectMany(r => Enumerable.Range(1, r.SubRowCount - 1).Select(i => Items.InventoryKey(SubRows.KeyOf(r.ProductId, i), r.WarehouseId))).ToList();
        var parts = (await Reads.BatchGetAllAsync(dynamo, table, keys, ct)).Select(Items.ToRow).ToLookup(p => (SubRows.ProductOf(p.ProductId), p.WarehouseId));
        return found.Select(r => r.IsSpread ? Combine(r, parts[(r.ProductId, r.WarehouseId)]) : r).ToList();
    }

    /// <summary>Sub-row 0 with the other sub-rows' counts added in: the row a client sees.</summary>
    public static InventoryRow Combine(InventoryRow home, IEnumerable<InventoryRow> others)
    {
        var parts = others.ToList();
        return home with
        {
            StockCount = home.StockCount + parts.Sum(p => p.StockCount),
            ReservedCount = home.ReservedCount + parts.Sum(p => p.ReservedCount),
            AvailableCount = home.AvailableCount + parts.Sum(p => p.AvailableCount),
            LastUpdated = parts.Select(p => p.LastUpdated).Append(home.LastUpdated).Max(),
        };
    }

    /// <summary>
    /// Every sub-row of a row as of one instant (a transactional read), sub-row 0 first; a sub-row already deleted by a
    /// fold is absent. Null when the row does not exist.
    /// </summary>
    public async Task<List<InventoryRow>?> SnapshotAsync(string productId, string warehouseId, CancellationToken ct) =>
        (await SnapshotItemsAsync(productId, warehouseId, ct))?.Select(Items.ToRow).ToList();

    /// <summary><see cref="SnapshotAsync"/> as the stored items (the stored status and its time included).</summary>
    internal async Task<List<Dictionary<string, AttributeValue>>?> SnapshotItemsAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var home = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Items.InventoryKey(productId, warehouseId), ConsistentRead = true }, ct)).Item;
        if (home is not { Count: > 0 })
        {
            return null;
        }

        var count = Items.ToRow(home).SubRowCount;
        var response = await dynamo.TransactGetItemsAsync(new TransactGetItemsRequest
        {
            TransactItems = Enumerable.Range(0, count)
                .Select(i => new TransactGetItem { Get = new Get { TableName = table, Key = Items.InventoryKey(SubRows.KeyOf(productId, i), warehouseId) } })
                .ToList(),
        }, ct);
        var parts = response.Responses.Where(r => r.Item is { Count: > 0 }).Select(r => r.Item).ToList();
        return parts.Count > 0 && !SubRows.IsSubRow(Items.Str(parts[0], Attr.ProductId)!) ? parts : null;
    }

    /// <summary>
    /// Spreads a row over <paramref name="count"/> sub-rows: creates the empty sub-rows and marks the row in one
    /// transaction, then moves its available units out evenly. Refused while the row is spread already (hot, or still
    /// folding back from an earlier spread).
    /// </summary>
    public async Task<SpreadResult> SpreadAsync(string productId, string warehouseId, int count, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        var transaction = new Transaction();
        var mark = transaction.Add(rows.MarkSpread(productId, warehouseId, count));
        for (var i = 1; i < count; i++)
        {
            transaction.Add(rows.CreateSubRow(productId, i, warehouseId, now));
        }

        var outcome = await writes.CommitAsync(transaction, ct);
        if (!outcome.IsCommitted)
        {
            var old = outcome.OldItem(mark) is { } item ? Items.ToRow(item) : throw Problems.WarehouseNotFound(productId, warehouseId);
            // The same marking again after one cut off before it had claimed the row's earlier holds: finish that one.
            if (!(old.ClaimingHolds && old.SubRowCount == count && !old.Folding))
            {
                throw Problems.AlreadySpread(productId, warehouseId, old.SubRowCount, old.Folding);
            }
        }

        await ClaimEarlierHoldsAsync(productId, warehouseId, ct);
        await RebalanceAsync(productId, warehouseId, ct);
        return await DescribeAsync(productId, warehouseId, ct);
    }

    /// <summary>
    /// Gives each hold of the product made before the row was marked hot a claim, then lets the row's units spread.
    /// Without it, a replay of such a hold (kept under the product, with no claim) could land on another sub-row and hold
    /// the units a second time. That goes for the product's other warehouses (an id is the product's, whatever the
    /// warehouse) and for holds that ended a moment ago (one released between the marking and this read, or a retry
    /// whose hold has since been released or sold), but not for older ended holds: the claims written stay bounded by
    /// the product's traffic, not its three days of kept records. Once the row is marked, every new hold on it writes
    /// its own claim (<see cref="StockRows.TakeHold"/> refuses one without); until the earlier ones have theirs, the
    /// units stay on the row (<see cref="RebalanceAsync"/> waits), so a replay can only land there and find its record.
    /// </summary>
    private async Task ClaimEarlierHoldsAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var endedSince = clock.GetUtcNow() - RecentlyEnded;
        var earlier = await records.KeptUnderAsync(productId, ct)
            .Where(r => r.Status == ReservationStatus.ACTIVE || r.FinishedAt is null || r.FinishedAt >= endedSince)
            .ToListAsync(ct);
        await Parallel.ForEachAsync(
            earlier.Chunk(Writes.MaxBatchWriteItems),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (batch, token) => await writes.PutBatchAsync(records.Table, batch.Select(records.ClaimItem).ToList(), token));

        var transaction = new Transaction();
        transaction.Add(rows.FinishClaiming(productId, warehouseId));
        await writes.CommitAsync(transaction, ct); // refused: another call finished it first
    }

    /// <summary>
    /// Starts folding a hot row back into one: new holds take from sub-row 0 only, the sub-rows' available units move
    /// back now, and each sub-row is deleted once its last hold has ended (<see cref="ProgressAsync"/>, which the change
    /// stream runs after every change of the row).
    /// </summary>
    public async Task<SpreadResult> FoldAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var transaction = new Transaction();
        var mark = transaction.Add(rows.MarkFolding(productId, warehouseId));
        var outcome = await writes.CommitAsync(transaction, ct);
        if (!outcome.IsCommitted)
        {
            throw outcome.OldItem(mark) is null && await SnapshotAsync(productId, warehouseId, ct) is null
                ? Problems.WarehouseNotFound(productId, warehouseId)
                : Problems.NotSpread(productId, warehouseId);
        }

        await ProgressAsync(productId, warehouseId, ct);
        return await DescribeAsync(productId, warehouseId, ct);
    }

    /// <summary>How the row's units sit over its sub-rows now.</summary>
    public async Task<SpreadResult> DescribeAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var parts = await SnapshotAsync(productId, warehouseId, ct) ?? throw Problems.WarehouseNotFound(productId, warehouseId);
        return new SpreadResult(productId, warehouseId, parts[0].SubRowCount, parts[0].Folding, parts.Select(p => p.AvailableCount).ToList());
    }

    /// <summary>
    /// Keeps a spread row's units where they should be after a change: a hot row's available units even over its
    /// sub-rows once one has run dry (so holds rarely need a second try), a folding row's all back on sub-row 0, its
    /// empty sub-rows deleted and, with the last one gone, the row one row again. Safe to run any number of times, at
    /// once or late: each step is conditioned on what it read. Returns false when the row is not spread.
    /// </summary>
    public async Task<bool> ProgressAsync(string productId, string warehouseId, CancellationToken ct)
    {
        var parts = await SnapshotAsync(productId, warehouseId, ct);
        if (parts is null || !parts[0].IsSpread)
        {
            return false;
        }

        if (!parts[0].Folding)
        {
            if (parts.Any(p => p.AvailableCount == 0) && parts.Sum(p => p.AvailableCount) >= parts.Count
                && clock.GetUtcNow() - parts[0].GatheredAt > GatheredKeptFor && MayRebalanceNow(productId, warehouseId))
            {
                await RebalanceAsync(productId, warehouseId, ct);
            }

            return true;
        }

        if (parts.Skip(1).Any(p => p.AvailableCount > 0))
        {
            await GatherAsync(productId, warehouseId, long.MaxValue, ct);
            parts = await SnapshotAsync(productId, warehouseId, ct) ?? [];
        }

        foreach (var empty in parts.Skip(1).Where(p => p.StockCount == 0))
        {
            var transaction = new Transaction();
            transaction.Add(rows.DeleteEmptySubRow(empty.ProductId, warehouseId));
            await writes.CommitAsync(transaction, ct); // a hold or a return in between: the next change tries again
        }

        if (parts.Count > 1 && (await SnapshotAsync(productId, warehouseId, ct))?.Count == 1)
        {
            var transaction = new Transaction();
            transaction.Add(rows.FinishFolding(productId, warehouseId));
            await writes.CommitAsync(transaction, ct);
        }

        return true;
    }

    /// <summary>
    /// A rebalance touches every sub-row in one transaction and so meets every hold in flight: in a sale that drains the
    /// row it is worth doing about once a second, not after every batch of changes. A cost guard, not state.
    /// </summary>
    private bool MayRebalanceNow(string productId, string warehouseId)
    {
        var now = clock.GetTimestamp();
        if (lastRebalance.Count > 10_000)
        {
            lastRebalance.Clear();
        }

        var last = lastRebalance.GetOrAdd((productId, warehouseId), 0);
        return (last == 0 || clock.GetElapsedTime(last, now) >= RebalanceInterval) && lastRebalance.TryUpdate((productId, warehouseId), now, last);
    }

    /// <summary>
    /// Moves available units from the other sub-rows to sub-row 0 until it has <paramref name="need"/> (or everything
    /// there is): what a direct sale, a write-off or a hold larger than any one sub-row takes from. Returns sub-row 0's
    /// available units afterwards, or null when the row is not spread.
    /// </summary>
    public async Task<long?> GatherAsync(string productId, string warehouseId, long need, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var parts = await SnapshotAsync(productId, warehouseId, ct);
            if (parts is null || !parts[0].IsSpread)
            {
                return null;
            }

            var shares = parts.Select(p => p.AvailableCount).ToArray();
            for (var i = 1; i < shares.Length && shares[0] < need; i++)
            {
                var taken = Math.Min(shares[i], need - shares[0]);
                shares[i] -= taken;
                shares[0] += taken;
            }

            if (await MoveAsync(parts, shares, ct, gathering: true) || attempt >= moveAttempts)
            {
                return (await SnapshotAsync(productId, warehouseId, ct))?[0].AvailableCount;
            }
        }
    }

    /// <summary>Evens out a hot row's available units over its sub-rows. Returns whether it moved them (false: the row is not hot, or stayed too busy).</summary>
    public async Task<bool> RebalanceAsync(string productId, string warehouseId, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= moveAttempts; attempt++)
        {
            var parts = await SnapshotAsync(productId, warehouseId, ct);
            if (parts is null || !parts[0].IsSpread || parts[0].Folding || parts[0].ClaimingHolds || parts.Count != parts[0].SubRowCount)
            {
                return false;
            }

            if (await MoveAsync(parts, SubRows.EvenShares(parts.Sum(p => p.AvailableCount), parts.Count), ct))
            {
                return true;
            }
        }

        logger.LogInformation("Rebalance of {ProductId}/{WarehouseId} kept meeting holds; the next change tries again", productId, warehouseId);
        return false;
    }

    /// <summary>
    /// One transaction moving each sub-row's available units to its target (the targets add up to what there is).
    /// Returns false when a hold took units from a source in between, so nothing moved.
    /// </summary>
    /// <param name="gathering">Units brought to sub-row 0 for a write that needs them there: marked, so a rebalance leaves them for a while.</param>
    private async Task<bool> MoveAsync(List<InventoryRow> parts, long[] targets, CancellationToken ct, bool gathering = false)
    {
        var moves = parts.Select((p, i) => (Part: p, Delta: targets[i] - p.AvailableCount)).Where(m => m.Delta != 0).ToList();
        if (moves.Count == 0)
        {
            return true;
        }

        var now = clock.UtcNowMillis();
        var rebalance = Guid.NewGuid();
        var transaction = new Transaction();
        foreach (var (part, delta) in moves)
        {
            transaction.Add(rows.Shift(part.ProductId, part.WarehouseId, delta, now, rebalance, gathered: gathering && !SubRows.IsSubRow(part.ProductId)));
        }

        return (await writes.CommitAsync(transaction, ct)).IsCommitted;
    }
}

/// <summary>Where a hold on a row takes its units: over how many sub-rows, and whether the row is spread (hot, or folding back), so the hold must claim its id.</summary>
public readonly record struct HoldSpread(int SubRows, bool Spread)
{
    public static readonly HoldSpread OneRow = new(1, false);

    /// <summary>A row folding back takes holds on sub-row 0 only, each still with its claim.</summary>
    public static HoldSpread Of(InventoryRow row) => new(row.Folding ? 1 : row.SubRowCount, row.IsSpread);
}
