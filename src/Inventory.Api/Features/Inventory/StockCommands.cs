using Inventory.Api.Domain;
using Inventory.Api.Storage;

namespace Inventory.Api.Features.Inventory;

/// <summary><c>Row</c> is the row as read after the adjustment committed (or after a replay found it); null if it is gone.</summary>
public sealed record AdjustmentResult(Adjustment Adjustment, InventoryRow? Row, bool Replayed);

/// <summary>The staff's writes of a stock row: setting its counts (or creating it) and adjusting them by a difference.</summary>
public sealed class StockCommands(
    Writes writes, InventoryStore inventory, ProductStore products, StockRows rows, HotRows hot, IdempotencyRecords idempotency, TimeProvider clock)
{
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
            ? await products.DefaultsAsync(productId, ct)
            : (null, null);
        var threshold = change.ThresholdLevel ?? productThreshold ?? defaultThreshold;
        var transaction = new Transaction();
        var product = transaction.Add(products.MustExist(productId));
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
    /// Reads the row, then writes the new counts guarded by the version (<see cref="StockRows.SetCounts"/>): holds do
    /// not move the version, so they never make this write fail. Answers the row as read after the write.
    /// </summary>
    private async Task<InventoryRow> UpdateRowAsync(
        string productId, string warehouseId, StockChange change, long expectedVersion, bool versionFromIfMatch, Actor by, CancellationToken ct)
    {
        var current = await inventory.GetRowAsync(productId, warehouseId, ct) ?? throw await inventory.MissingRowProblemAsync(productId, warehouseId, ct);
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
            return await inventory.RowAfterCommitAsync(productId, warehouseId) ?? written;
        }

        // Between the read and the write: another admin write (the version moved), or holds passed the new stock.
        var now = outcome.OldItem(write) is { } old ? Items.ToRow(old) : throw await inventory.MissingRowProblemAsync(productId, warehouseId, ct);
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
            return await inventory.RowAfterCommitAsync(current.ProductId, current.WarehouseId) ?? current;
        }

        var now = await inventory.GetRowAsync(current.ProductId, current.WarehouseId, ct) ?? throw await inventory.MissingRowProblemAsync(current.ProductId, current.WarehouseId, ct);
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
        var guard = idempotency.For(idempotencyKey, IdempotencyRecords.KeyOf("adjust", productId, idempotencyKey),
            Fingerprint.Of("adjust", productId, warehouseId, delta, reason), IdempotencyRecords.Json.Adjustment);
        var adjustment = new Adjustment(warehouseId, delta, reason, clock.UtcNowMillis());

        for (var gathered = false; ; gathered = true)
        {
            var transaction = new Transaction();
            var change = transaction.Add(rows.Adjust(productId, warehouseId, delta, adjustment.AppliedAt, new MoveCause(MoveKind.ADJUSTMENT, by, reason, idempotencyKey)));
            var record = transaction.Add(guard.Record(adjustment));
            var outcome = await writes.CommitAsync(transaction, ct);

            if (!outcome.IsCommitted)
            {
                if (guard.RepeatIn(outcome, record) is { } repeat)
                {
                    // The adjustment happened: the replay answers it, with the row as it is now.
                    return new AdjustmentResult(guard.AnswerOf(repeat), await inventory.RowAfterCommitAsync(productId, warehouseId), Replayed: true);
                }

                var current = Items.ToRow(outcome.OldItem(change) ?? throw await inventory.MissingRowProblemAsync(productId, warehouseId, ct));
                if (delta < 0 && current.IsSpread && !gathered)
                {
                    // A hot row's write-off takes from sub-row 0: bring the units there from the other sub-rows first.
                    await hot.GatherAsync(productId, warehouseId, -delta, ct);
                    continue;
                }

                var total = current.IsSpread ? await inventory.GetRowAsync(productId, warehouseId, ct) ?? current : current;
                throw delta > 0
                    ? Problems.StockLimit(total.StockCount, delta)
                    : Problems.InsufficientStock(productId, warehouseId, -delta, total.AvailableCount);
            }

            return new AdjustmentResult(adjustment, await inventory.RowAfterCommitAsync(productId, warehouseId), Replayed: false);
        }
    }
}
