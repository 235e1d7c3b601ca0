using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Inventory.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Fulfilment;

public sealed record FulfilLine(string ProductId, string? ReservationId, long? Quantity, string? WarehouseId);

/// <summary>
/// Sales: an order's lines sold all or nothing, once per order id. Lines that name a reservation convert that hold
/// (only while it is ACTIVE); lines without one sell from available stock. The order's idempotency record commits
/// in the same transaction, so a repeat of the order, during or after the first call, answers that sale.
/// </summary>
public sealed class SaleCommands(
    Writes writes, InventoryStore inventory, StockRows rows, HotRows hot, ReservationRecords records, IdempotencyRecords idempotency,
    IOptions<AttemptOptions> attempts, TimeProvider clock)
{
    /// <summary>Holds and warehouse choices can race with other writers; resolve the lines again this many times.</summary>
    private readonly int resolveAttempts = attempts.Value.WarehouseChoice;

    public async Task<FulfilmentResult> FulfilAsync(string orderId, IReadOnlyList<FulfilLine> lines, Actor by, CancellationToken ct)
    {
        var guard = idempotency.For(orderId, IdempotencyRecords.KeyOf("order", orderId), Fingerprint.Of(
            "fulfil", string.Join(';', lines.Select(l => $"{l.ProductId}|{l.ReservationId}|{l.Quantity}|{l.WarehouseId}"))), IdempotencyRecords.Json.FulfilmentResult);

        for (var attempt = 1; ; attempt++)
        {
            // Replay first, then resolve: a repeat of a finished order never looks at today's holds and stock.
            if (await guard.FindAsync(ct) is { } done)
            {
                return Replay(guard, done);
            }

            try
            {
                if (await TrySellOnceAsync(guard, orderId, lines, attempt, by, ct) is { } result)
                {
                    return result;
                }
            }
            catch (InventoryException refusal) when (refusal.Kind == RefusalKind.Conflict)
            {
                // An identical call may have committed while this one was resolving its lines (a client retrying
                // after a timeout, say): then the order was sold, and the answer is that sale, never a refusal.
                if (await guard.FindAsync(ct) is { } first)
                {
                    return Replay(guard, first);
                }

                throw;
            }
        }
    }

    /// <summary>One try at the sale: its result, or null when something moved underneath and it must be tried again.</summary>
    private async Task<FulfilmentResult?> TrySellOnceAsync(
        IdempotentWrite<FulfilmentResult> guard, string orderId, IReadOnlyList<FulfilLine> lines, int attempt, Actor by, CancellationToken ct)
    {
        var resolved = await ResolveLinesAsync(lines, by, ct);

        // A hold on a hot row sells from the sub-row it took its units from; a direct sale from the row itself.
        var byRow = resolved
            .GroupBy(r => (ProductId: r.Hold?.RowKey ?? r.Line.ProductId, r.Line.WarehouseId))
            .Select(g => (g.Key.ProductId, g.Key.WarehouseId,
                Held: g.Where(r => r.Hold is not null).Sum(r => r.Line.Quantity),
                Direct: g.Where(r => r.Hold is null).Sum(r => r.Line.Quantity)))
            .ToList();
        var holds = resolved.Where(r => r.Hold is not null).Select(r => r.Hold!).ToList();
        var actionCount = byRow.Count + holds.Count + 1;
        if (actionCount > Transaction.MaxActions)
        {
            throw Problems.TooManyItems(actionCount, Transaction.MaxActions);
        }

        var now = clock.UtcNowMillis();
        var result = new FulfilmentResult(orderId, resolved.Select(r => r.Line).ToList(), now, Replayed: false);
        var transaction = new Transaction();
        var rowSteps = byRow.Select(r => (Row: r, Handle: transaction.Add(rows.Sell(r.ProductId, r.WarehouseId, r.Held, r.Direct, now, new MoveCause(MoveKind.SALE, by, Reference: orderId))))).ToList();
        var holdSteps = holds.Select(h => transaction.Add(records.Finish(h, ReservationStatus.FULFILLED, now))).ToList();
        var record = transaction.Add(guard.Record(result));

        var outcome = await writes.CommitAsync(transaction, ct);
        if (outcome.IsCommitted)
        {
            return result;
        }

        if (guard.RepeatIn(outcome, record) is { } repeat)
        {
            return Replay(guard, repeat);
        }

        if (holdSteps.Any(outcome.Failed) && attempt < resolveAttempts)
        {
            return null; // a hold changed state under us; the next pass reports its new state
        }

        var shortages = new List<ItemShortage>();
        var choseWarehouse = false;
        foreach (var (row, handle) in rowSteps.Where(s => outcome.Failed(s.Handle)))
        {
            var old = outcome.OldItem(handle) ?? throw await inventory.MissingRowProblemAsync(row.ProductId, row.WarehouseId, ct);
            if (Items.ToRow(old).IsSpread && row.Direct > 0 && attempt < resolveAttempts
                && await hot.GatherAsync(row.ProductId, row.WarehouseId, row.Direct, ct) >= row.Direct)
            {
                return null; // a hot row sells directly from sub-row 0, where the units now are
            }

            choseWarehouse |= lines.Any(l => l.ProductId == row.ProductId && l.WarehouseId is null && l.ReservationId is null);
            var available = Items.ToRow(old).IsSpread ? (await inventory.GetRowAsync(row.ProductId, row.WarehouseId, ct))?.AvailableCount ?? 0 : Items.ToRow(old).AvailableCount;
            shortages.Add(new ItemShortage(row.ProductId, row.WarehouseId, row.Direct, available, "insufficient_stock"));
        }

        if (shortages.Count == 0 || (choseWarehouse && attempt < resolveAttempts))
        {
            if (attempt >= 2 * resolveAttempts)
            {
                throw Problems.Busy();
            }

            return null;
        }

        throw Problems.Shortage(shortages);
    }

    /// <summary>The sale happened: the replay answers it (or refuses another order under the same id).</summary>
    private static FulfilmentResult Replay(IdempotentWrite<FulfilmentResult> guard, Repeat<FulfilmentResult> repeat) =>
        guard.AnswerOf(repeat) with { Replayed = true };

    /// <summary>
    /// Each line's hold, or the warehouse of a direct sale, in the order of the lines. The direct lines are resolved
    /// together, so a refusal names every line that cannot be supplied, not only the first.
    /// </summary>
    private async Task<List<(FulfilledLine Line, Reservation? Hold)>> ResolveLinesAsync(IReadOnlyList<FulfilLine> lines, Actor by, CancellationToken ct)
    {
        var direct = lines.Where(l => l.ReservationId is null).Select(l => new ReserveItem(l.ProductId, l.WarehouseId, l.Quantity!.Value)).ToList();
        var supplied = new Queue<ReserveItem>(direct.Count == 0 ? [] : await inventory.ResolveWarehousesAsync(direct, ct));
        var resolved = new List<(FulfilledLine Line, Reservation? Hold)>(lines.Count);
        foreach (var line in lines)
        {
            if (line.ReservationId is { } reservationId)
            {
                var hold = await records.GetAsync(line.ProductId, reservationId, ct) is { } found && found.BelongsTo(by)
                    ? found
                    : throw Problems.ReservationNotFound(line.ProductId, reservationId);
                hold.EnsureSellable(line.Quantity);
                resolved.Add((new FulfilledLine(line.ProductId, hold.WarehouseId, hold.Quantity, reservationId), hold));
            }
            else
            {
                var item = supplied.Dequeue();
                resolved.Add((new FulfilledLine(item.ProductId, item.WarehouseId!, item.Quantity, null), null));
            }
        }

        return resolved;
    }
}
