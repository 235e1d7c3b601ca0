using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;

namespace Inventory.Api.Storage;

/// <summary>
/// A relative change to one stock row that keeps its stored status exact without reading it first.
/// <para>
/// The usual form (<see cref="Usual"/>) commits only if the status after the change is the one stored: a condition
/// on <c>threshold_headroom</c> (available minus threshold, kept by every write, because conditions cannot do
/// arithmetic) and on available. So the common hold or release is a single request and leaves the status right.
/// When that condition fails while the change's own guard held (the row was there and had the units), the change
/// moves the status: <see cref="PinnedTo"/> builds the write pinned to the row as it was, which sets the new
/// status and commits the transition's alert with it; <see cref="Writes"/> retries with it. The pin (available,
/// threshold, stored status and the time of the row's previous transition) makes each transition commit at most
/// once, however many writers race for it, and only right after the one it follows.
/// </para>
/// </summary>
public sealed class StockRowChange
{
    private readonly StockRows rows;
    private readonly long availableDelta;
    private readonly long stockDelta;
    private readonly string sets;
    private readonly string guard;
    private readonly Dictionary<string, AttributeValue> values;
    private readonly Func<InventoryRow, bool> allowedOn;
    private TransactWriteItem? usual;

    internal StockRowChange(
        StockRows rows, string productId, string warehouseId, long availableDelta, long stockDelta, string? sets, string? guard,
        Dictionary<string, AttributeValue> values, Func<InventoryRow, bool> allowedOn)
    {
        this.rows = rows;
        ProductId = productId;
        WarehouseId = warehouseId;
        this.availableDelta = availableDelta;
        this.stockDelta = stockDelta;
        this.sets = sets is null ? string.Empty : sets + ", ";
        this.guard = guard is null ? "attribute_exists(#p)" : "attribute_exists(#p) AND " + guard;
        this.values = values;
        this.allowedOn = allowedOn;
    }

    public string ProductId { get; }

    public string WarehouseId { get; }

    /// <summary>The write that commits when the status stays as stored (the common case). A restatement has none.</summary>
    public TransactWriteItem Usual => usual ??= BuildUsual();

    /// <summary>
    /// Whether the row as it was (from a failed condition) allowed this change: true means the failure was only
    /// about the status, false is a real refusal (no row, too few units) for the caller to answer.
    /// </summary>
    public bool AllowedOn(Dictionary<string, AttributeValue>? old) => old is { Count: > 0 } && allowedOn(Items.ToRow(old));

    /// <summary>
    /// The write to try next, given the row a failed try met: the usual one again if that row already stores the
    /// status the change leaves (another writer moved it first, so pinning to it would only race the others), else
    /// the one pinned to it (<see cref="PinnedTo"/>).
    /// </summary>
    public TransactWriteItem NextTry(Dictionary<string, AttributeValue> old, bool withStatus, DateTimeOffset now, out TransactWriteItem? alert)
    {
        var before = Items.ToRow(old);
        var statusAfter = StockRules.StatusFor(before.AvailableCount + availableDelta, before.ThresholdLevel);
        if (sets.Length > 0 && !StockRows.NeedsRestating(old) && statusAfter == before.StoredStatus)
        {
            alert = null;
            return Usual;
        }

        return PinnedTo(old, withStatus, now, out alert);
    }

    /// <summary>
    /// The change pinned to the row as it was: it sets the status and headroom its counts will imply and, when the
    /// status moves, returns the alert to commit with it, stamped <paramref name="now"/> or just after the row's
    /// previous transition, whichever is later (<see cref="StockRows.TransitionTime"/>). With
    /// <paramref name="withStatus"/> false (no room left in the transaction for an alert) it keeps the stored
    /// status, and the caller restates the row after committing.
    /// </summary>
    public TransactWriteItem PinnedTo(Dictionary<string, AttributeValue> old, bool withStatus, DateTimeOffset now, out TransactWriteItem? alert)
    {
        var before = Items.ToRow(old);
        var after = before with
        {
            StockCount = before.StockCount + stockDelta,
            AvailableCount = before.AvailableCount + availableDelta,
        };
        var pinned = new Dictionary<string, AttributeValue>(values)
        {
            [":pin_a"] = Items.N(before.AvailableCount),
            [":pin_t"] = Items.N(before.ThresholdLevel),
            [":new_h"] = Items.N(after.AvailableCount - after.ThresholdLevel),
        };
        var update = $"SET {sets}#h = :new_h";
        var condition = $"{guard} AND #a = :pin_a AND #t = :pin_t";
        alert = null;
        if (withStatus)
        {
            // Pinned to the stored text itself, so even a status this code would not parse is replaced exactly once.
            var stored = old.GetValueOrDefault(Attr.Status)?.S;
            pinned[":new_st"] = Items.S(after.Status.ToString());
            update += ", #st = :new_st";
            if (stored is null)
            {
                condition += " AND attribute_not_exists(#st)";
            }
            else
            {
                pinned[":pin_st"] = Items.S(stored);
                condition += " AND #st = :pin_st";
            }

            if (stored != after.Status.ToString())
            {
                var at = StockRows.TransitionTime(before, now);
                pinned[":new_sc"] = Items.Time(at);
                update += ", #sc = :new_sc";
                condition += " AND " + StockRows.PinPreviousTransition(before, pinned);
                alert = rows.Alert(before, after, at);
            }
        }

        return rows.Update(ProductId, WarehouseId, update, condition, pinned);
    }

    /// <summary>
    /// The band the status is in after the change, asked of the row before it: with x = -delta, the new available
    /// (available + delta) is OUT when available &lt;= x, LOW when available &gt; x and headroom &lt;= x, IN when
    /// headroom &gt; x. The stored status must name that band.
    /// </summary>
    private TransactWriteItem BuildUsual()
    {
        var usual = new Dictionary<string, AttributeValue>(values)
        {
            [":band_x"] = Items.N(-availableDelta),
            [":band_out"] = Items.S(nameof(StockStatus.OUT_OF_STOCK)),
            [":band_low"] = Items.S(nameof(StockStatus.LOW_STOCK)),
            [":band_in"] = Items.S(nameof(StockStatus.IN_STOCK)),
        };
        var update = "SET " + sets.TrimEnd(' ', ',');
        if (availableDelta != 0)
        {
            usual[":band_d"] = Items.N(availableDelta);
            update += ", #h = #h + :band_d";
        }

        const string Band =
            "((#st = :band_out AND #a <= :band_x AND attribute_exists(#h)) OR (#st = :band_low AND #a > :band_x AND #h <= :band_x) " +
            "OR (#st = :band_in AND #h > :band_x))";
        return rows.Update(ProductId, WarehouseId, update, $"{guard} AND {Band}", usual);
    }
}
