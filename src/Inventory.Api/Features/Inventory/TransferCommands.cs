using Inventory.Api.Domain;
using Inventory.Api.Storage;

namespace Inventory.Api.Features.Inventory;

/// <summary>The rows are read after the transfer committed (or after a replay found it); either is null if it could not be read.</summary>
public sealed record TransferResult(Transfer Transfer, InventoryRow? From, InventoryRow? To, bool Replayed);

/// <summary>
/// Moves available units of one product from one warehouse row to another: both rows and the idempotency record in one
/// TransactWriteItems, so the units are on exactly one of the rows at every moment, and "moved" and "key used" never
/// disagree. The destination row must exist: a transfer never creates one (see docs/decisions.md).
/// </summary>
public sealed class TransferCommands(
    Writes writes, StockRows rows, HotRows hot, IdempotencyRecords idempotency, InventoryStore inventory, TimeProvider clock)
{
    public async Task<TransferResult> TransferAsync(
        string productId, string fromWarehouse, string toWarehouse, long quantity, string? reason, string transferId, Actor by, CancellationToken ct,
        bool gathered = false)
    {
        var guard = idempotency.For(transferId, IdempotencyRecords.KeyOf("transfer", productId, transferId),
            Fingerprint.Of("transfer", productId, fromWarehouse, toWarehouse, quantity, reason), IdempotencyRecords.Json.Transfer);
        var transfer = new Transfer(transferId, productId, fromWarehouse, toWarehouse, quantity, reason, clock.UtcNowMillis());

        // Each row's history entry says where the units went or came from, and carries the transfer's id as reference.
        string Why(string direction, string other) => reason is null ? $"{direction} {other}" : $"{direction} {other}: {reason}";
        var transaction = new Transaction();
        var source = transaction.Add(rows.TransferOut(productId, fromWarehouse, quantity, transfer.TransferredAt,
            new MoveCause(MoveKind.TRANSFER, by, Why("to", toWarehouse), transferId)));
        var destination = transaction.Add(rows.Arrive(productId, toWarehouse, quantity, transfer.TransferredAt,
            new MoveCause(MoveKind.TRANSFER, by, Why("from", fromWarehouse), transferId)));
        var record = transaction.Add(guard.Record(transfer));
        var outcome = await writes.CommitAsync(transaction, ct);
        if (outcome.IsCommitted)
        {
            return await ResultAsync(transfer, replayed: false);
        }

        // Replay before refusing: the record's condition failed, or (a repeat whose source has since run short) another
        // condition failed first and the record may still be there.
        if ((guard.RepeatIn(outcome, record) ?? await guard.FindAsync(ct)) is { } repeat)
        {
            return await ResultAsync(guard.AnswerOf(repeat), replayed: true);
        }

        if (outcome.Failed(source))
        {
            var row = outcome.OldItem(source) is { } old ? Items.ToRow(old) : throw await inventory.MissingRowProblemAsync(productId, fromWarehouse, ct);
            if (row.IsSpread && !gathered)
            {
                // A hot source row gives from its sub-row 0: bring its units there from the other sub-rows, then again.
                await hot.GatherAsync(productId, fromWarehouse, quantity, ct);
                return await TransferAsync(productId, fromWarehouse, toWarehouse, quantity, reason, transferId, by, ct, gathered: true);
            }

            var whole = row.IsSpread ? await inventory.GetRowAsync(productId, fromWarehouse, ct) ?? row : row;
            throw Problems.TransferShortage(productId, fromWarehouse, quantity, whole.AvailableCount, whole.ReservedCount);
        }

        var target = outcome.OldItem(destination) is { } item ? Items.ToRow(item) : throw await inventory.MissingRowProblemAsync(productId, toWarehouse, ct);
        throw Problems.StockLimit(target.StockCount, quantity);
    }

    private async Task<TransferResult> ResultAsync(Transfer transfer, bool replayed)
    {
        var (from, to) = (inventory.RowAfterCommitAsync(transfer.ProductId, transfer.FromWarehouse), inventory.RowAfterCommitAsync(transfer.ProductId, transfer.ToWarehouse));
        return new TransferResult(transfer, await from, await to, replayed);
    }
}
