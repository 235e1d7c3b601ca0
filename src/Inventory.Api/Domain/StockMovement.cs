namespace Inventory.Api.Domain;

/// <summary>What a change of a stock row's counts was.</summary>
public enum MoveKind
{
    /// <summary>The row was created (its first entry: counts from zero).</summary>
    CREATE,

    /// <summary>Units moved from available to reserved for a reservation.</summary>
    HOLD,

    /// <summary>A hold's units came back because it was released.</summary>
    RELEASE,

    /// <summary>Holds' units came back because their time was up (the sweep, or a reclaim before a refusal).</summary>
    EXPIRY,

    /// <summary>Units left the stock in a sale (held or directly from available).</summary>
    SALE,

    /// <summary>A relative change of stock with a reason (received, damaged).</summary>
    ADJUSTMENT,

    /// <summary>An absolute write of stock (and possibly threshold) by staff.</summary>
    SET,

    /// <summary>An absolute write of the low-stock threshold alone.</summary>
    THRESHOLD,

    /// <summary>Available units moved between the sub-rows of a hot row (spreading, gathering, folding back): the row's totals do not change.</summary>
    REBALANCE,

    /// <summary>
    /// Available units moved between two warehouse rows of one product: one entry on each row, both with the transfer's
    /// id as reference; the source's quantity is negative, the destination's positive.
    /// </summary>
    TRANSFER,

    /// <summary>Units received on an inbound shipment (reference: shipment id / receipt id).</summary>
    RECEIPT,
}

/// <summary>
/// Who caused a change: the name of the API key whose request made it, or a job (<c>job:expiry</c>). Names, never
/// keys: this is kept in the stock history for as long as the history is. <paramref name="KeyId"/> (the key's
/// public id) is whose a hold is; <paramref name="ActsForAnyone"/> lets admins, jobs and the order queue act on any
/// hold.
/// </summary>
public sealed record Actor(string Name, string? KeyId = null, bool ActsForAnyone = false)
{
    /// <summary>The expiry of holds whose time is up, by the sweep or by a reservation's reclaim: time ended them, not a caller.</summary>
    public static readonly Actor Expiry = new("job:expiry", ActsForAnyone: true);

    /// <summary>The order service's ReserveInventory messages, which arrive on a queue without an API key.</summary>
    public static readonly Actor OrderQueue = new("queue:reserve-inventory", ActsForAnyone: true);

    /// <summary>The moves of units between a hot row's sub-rows.</summary>
    public static readonly Actor Rebalancer = new("job:rebalance", ActsForAnyone: true);

    /// <summary>The demo products a local service adds at start.</summary>
    public static readonly Actor DemoData = new("job:demo-data", ActsForAnyone: true);
}

/// <summary>Why a row's counts change, as its write records it on the row for the change stream to read.</summary>
/// <param name="Reference">What the change belongs to: a reservation id, an order id, an adjustment's idempotency key.</param>
public sealed record MoveCause(MoveKind Kind, Actor By, string? Reason = null, string? Reference = null);

/// <summary>A row's counts at one moment.</summary>
public sealed record StockCounts(long Stock, long Reserved, long Available, long Threshold)
{
    public static readonly StockCounts Zero = new(0, 0, 0, 0);
}

/// <summary>
/// One entry of a row's stock history: one change of its counts. <see cref="Sequence"/> numbers the row's changes
/// 1, 2, 3… in the order they were made, so a gap means a missing entry.
/// </summary>
public sealed record StockMovement(
    string ProductId,
    string WarehouseId,
    long Sequence,
    MoveKind Kind,
    long Quantity,
    StockCounts Before,
    StockCounts After,
    string By,
    string? Reason,
    string? Reference,
    DateTimeOffset At)
{
    /// <summary>
    /// The entry's quantity, from the counts before and after: units held, returned or sold (positive), the stock's
    /// change for an adjustment, a transfer (negative on the row the units left) or an absolute write (signed), the
    /// units received (positive), the threshold's change for a threshold write, the stock a row was created with.
    /// </summary>
    public static long QuantityOf(MoveKind kind, StockCounts before, StockCounts after) => kind switch
    {
        MoveKind.HOLD => after.Reserved - before.Reserved,
        MoveKind.RELEASE or MoveKind.EXPIRY => before.Reserved - after.Reserved,
        MoveKind.SALE => before.Stock - after.Stock,
        MoveKind.THRESHOLD => after.Threshold - before.Threshold,
        _ => after.Stock - before.Stock,
    };

    /// <summary>
    /// Whether the counts moved the way this kind of change moves them: a hold or a return moves units between
    /// available and reserved and leaves stock alone; a sale takes stock from reserved or available; an adjustment
    /// moves stock and available together; a threshold write moves no count. Anything else is not what the entry says.
    /// </summary>
    public bool IsConsistent()
    {
        var (b, a) = (Before, After);
        var balanced = a.Available == a.Stock - a.Reserved && b.Available == b.Stock - b.Reserved;
        return balanced && Kind switch
        {
            MoveKind.CREATE => b == StockCounts.Zero,
            MoveKind.HOLD => Quantity > 0 && a.Stock == b.Stock && a.Threshold == b.Threshold,
            MoveKind.RELEASE or MoveKind.EXPIRY => Quantity > 0 && a.Stock == b.Stock && a.Threshold == b.Threshold,
            MoveKind.SALE => Quantity > 0 && a.Reserved <= b.Reserved && a.Threshold == b.Threshold,
            MoveKind.ADJUSTMENT => Quantity != 0 && a.Reserved == b.Reserved && a.Threshold == b.Threshold,
            MoveKind.SET => a.Reserved == b.Reserved,
            MoveKind.THRESHOLD => a.Stock == b.Stock && a.Reserved == b.Reserved,
            MoveKind.REBALANCE => Quantity != 0 && a.Reserved == b.Reserved && a.Threshold == b.Threshold,
            MoveKind.TRANSFER => Quantity != 0 && a.Reserved == b.Reserved && a.Threshold == b.Threshold,
            MoveKind.RECEIPT => Quantity > 0 && a.Reserved == b.Reserved && a.Threshold == b.Threshold,
            _ => false,
        };
    }
}

/// <summary>What a row's history must be, checked against the row: the completeness and order the history promises.</summary>
public static class HistoryChain
{
    /// <summary>
    /// The faults of a row's kept entries (oldest first) against the row: a number twice (an entry written twice), a
    /// missing number (a lost entry), an entry
    /// that does not start where the previous one ended (a change not in the history), an entry whose counts did not
    /// move the way its kind says, and, once the change stream has caught up (<paramref name="settled"/>), entries that
    /// stop before the row's latest change or do not add up to its counts. Entries TTL has removed are not a fault: the
    /// chain is checked from the oldest entry kept.
    /// </summary>
    public static IEnumerable<(string Rule, string Detail)> Faults(IReadOnlyList<StockMovement> entries, InventoryRow row, bool settled)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (!entry.IsConsistent())
            {
                yield return ("history_consistent", $"entry {entry.Sequence} ({entry.Kind} {entry.Quantity}) moved {entry.Before} to {entry.After}");
            }

            if (i == 0)
            {
                continue;
            }

            var previous = entries[i - 1];
            if (entry.Sequence <= previous.Sequence)
            {
                yield return ("history_once", $"entry {entry.Sequence} comes again after entry {previous.Sequence}");
            }
            else if (entry.Sequence != previous.Sequence + 1)
            {
                yield return ("history_complete", $"entries {previous.Sequence + 1} to {entry.Sequence - 1} are missing");
            }
            else if (entry.Before != previous.After)
            {
                yield return ("history_continuous", $"entry {entry.Sequence} starts at {entry.Before}, entry {previous.Sequence} ended at {previous.After}");
            }
        }

        if (!settled)
        {
            yield break;
        }

        if (entries.Count == 0)
        {
            if (row.MoveSequence > 0)
            {
                yield return ("history_complete", $"the row has made {row.MoveSequence} moves and the history holds none");
            }

            yield break;
        }

        var last = entries[^1];
        if (last.Sequence != row.MoveSequence)
        {
            yield return ("history_complete", $"the latest entry is {last.Sequence}, the row's latest move {row.MoveSequence}");
        }

        // From where the oldest kept entry starts (zero for a row whose creation is kept), the entries' changes add up
        // to the row's counts.
        var first = entries[0].Before;
        var sum = new StockCounts(
            first.Stock + entries.Sum(e => e.After.Stock - e.Before.Stock),
            first.Reserved + entries.Sum(e => e.After.Reserved - e.Before.Reserved),
            first.Available + entries.Sum(e => e.After.Available - e.Before.Available),
            first.Threshold + entries.Sum(e => e.After.Threshold - e.Before.Threshold));
        if (sum != row.Counts)
        {
            yield return ("history_matches_counts", $"the entries add up to {sum}, the row holds {row.Counts}");
        }
    }
}
