using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// Every change to a stock row, in one place. Each keeps <c>available_count = stock_count - reserved_count</c> by
/// construction (both sides move by the same amount, or available is recomputed from reserved inside the write,
/// since conditions cannot do arithmetic) and guards with a condition on the counts only: no count goes below zero,
/// and an admin's absolute write also names the version it read. On a failed condition each returns the row as it
/// was, to say how many units there were.
/// <para>
/// No write here reads, writes or is conditioned on the stored status: a condition on a derived value would make
/// writes fail exactly when many shoppers race across a threshold. The stored status and its alerts follow from
/// the table's change stream; answers compute the status from the counts.
/// </para>
/// <para>
/// Where the derived work is: every write here, once committed, reaches <c>Projections/ChangeStream</c> as a change
/// record, which hands it to each consumer (the history entry, the stored status and its alert, the days of cover).
/// </para>
/// </summary>
public sealed partial class StockRows(IOptions<StorageOptions> options)
{
    private readonly string table = options.Value.InventoryTable;

    /// <summary>Units move from available to reserved; needs them available.</summary>
    /// <remarks>
    /// A hold without a claim (<paramref name="claimed"/> false) is refused by a spread row (hot or folding back), whose
    /// holds must each have one: the claim is what keeps a reservation id held once across sub-rows, and the refusal
    /// (the row as it is) tells the hold to try again with one.
    /// </remarks>
    public TransactWriteItem TakeHold(string productId, string warehouseId, long quantity, DateTimeOffset now, MoveCause cause, bool claimed) =>
        Update(productId, warehouseId, "SET #r = #r + :q, #a = #a - :q, #lu = :now",
            claimed ? "attribute_exists(#p) AND #a >= :q" : "attribute_exists(#p) AND #a >= :q AND attribute_not_exists(#sr)",
            new() { [":q"] = Items.N(quantity), [":now"] = Items.Time(now) }, cause);

    /// <summary>Units move back from reserved to available (a release or an expiry: <paramref name="cause"/> says which); needs them reserved.</summary>
    public TransactWriteItem ReturnHold(string productId, string warehouseId, long quantity, DateTimeOffset now, MoveCause cause) =>
        Update(productId, warehouseId, "SET #r = #r - :q, #a = #a + :q, #lu = :now", "attribute_exists(#p) AND #r >= :q",
            new() { [":q"] = Items.N(quantity), [":now"] = Items.Time(now) }, cause);

    /// <summary>Stock leaves the building: held units leave reserved, direct sales leave available. Bumps the version.</summary>
    public TransactWriteItem Sell(string productId, string warehouseId, long held, long direct, DateTimeOffset now, MoveCause cause) =>
        Update(productId, warehouseId, "SET #s = #s - :total, #r = #r - :held, #a = #a - :direct, #v = #v + :one, #lu = :now",
            "attribute_exists(#p) AND #a >= :direct AND #r >= :held",
            new()
            {
                [":total"] = Items.N(held + direct),
                [":held"] = Items.N(held),
                [":direct"] = Items.N(direct),
                [":one"] = Items.N(1),
                [":now"] = Items.Time(now),
            },
            cause);

    /// <summary>
    /// A relative stock change. A write-off cannot take held units (available would go negative); a receipt
    /// cannot pass the documented ceiling of <see cref="Validator.MaxCount"/>. Bumps the version.
    /// </summary>
    public TransactWriteItem Adjust(string productId, string warehouseId, long delta, DateTimeOffset now, MoveCause cause)
    {
        var values = new Dictionary<string, AttributeValue> { [":d"] = Items.N(delta), [":one"] = Items.N(1), [":now"] = Items.Time(now) };
        const string Sets = "SET #s = #s + :d, #a = #a + :d, #v = #v + :one, #lu = :now";
        if (delta < 0)
        {
            values[":need"] = Items.N(-delta);
            return Update(productId, warehouseId, Sets, "attribute_exists(#p) AND #a >= :need", values, cause);
        }

        values[":room"] = Items.N(Validator.MaxCount - delta);
        return Update(productId, warehouseId, Sets, "attribute_exists(#p) AND #s <= :room", values, cause);
    }

    /// <summary>
    /// The source side of a transfer: available units leave the row (stock and available together), never held ones,
    /// so the condition is on available. <paramref name="cause"/> is a <see cref="MoveKind.TRANSFER"/>. Bumps the version.
    /// </summary>
    public TransactWriteItem TransferOut(string productId, string warehouseId, long quantity, DateTimeOffset now, MoveCause cause) =>
        Update(productId, warehouseId, "SET #s = #s - :q, #a = #a - :q, #v = #v + :one, #lu = :now", "attribute_exists(#p) AND #a >= :q",
            new() { [":q"] = Items.N(quantity), [":one"] = Items.N(1), [":now"] = Items.Time(now) }, cause);

    /// <summary>
    /// Units arrive on an existing row (the destination of a transfer, or a receipt of an inbound shipment:
    /// <paramref name="cause"/> says which): stock and available rise together, up to <see cref="Validator.MaxCount"/>.
    /// Never creates the row. Bumps the version.
    /// </summary>
    public TransactWriteItem Arrive(string productId, string warehouseId, long quantity, DateTimeOffset now, MoveCause cause) =>
        Update(productId, warehouseId, "SET #s = #s + :q, #a = #a + :q, #v = #v + :one, #lu = :now", "attribute_exists(#p) AND #s <= :room",
            new()
            {
                [":q"] = Items.N(quantity),
                [":room"] = Items.N(Validator.MaxCount - quantity),
                [":one"] = Items.N(1),
                [":now"] = Items.Time(now),
            },
            cause);

    /// <summary>
    /// The admin's absolute write, guarded by the version read (which pins stock and threshold). Holds do not bump
    /// the version, so available is recomputed from the live reserved count inside the write (a hold taken a
    /// millisecond earlier is never lost), and stock may not go below what is held. A write of stock is a SET in the
    /// row's history, a write of the threshold alone a THRESHOLD; a write of the category alone changes no count and
    /// is not in the history. An import line gives its <paramref name="reason"/> and <paramref name="reference"/>.
    /// </summary>
    public TransactWriteItem SetCounts(InventoryRow current, StockChange change, DateTimeOffset now, Actor by, string? reason = null, string? reference = null)
    {
        var values = new Dictionary<string, AttributeValue>
        {
            [":s"] = Items.N(change.StockCount ?? current.StockCount),
            [":t"] = Items.N(change.ThresholdLevel ?? current.ThresholdLevel),
            [":v"] = Items.N(current.Version),
            [":one"] = Items.N(1),
            [":now"] = Items.Time(now),
        };
        var sets = "SET #s = :s, #a = :s - #r, #t = :t, #v = #v + :one, #lu = :now";
        if (change.Category is { } category)
        {
            values[":c"] = Items.S(category);
            sets += ", #c = :c";
        }

        var kind = change.StockCount is not null ? MoveKind.SET : change.ThresholdLevel is not null ? MoveKind.THRESHOLD : (MoveKind?)null;
        // Not on a hot row: its stock is spread over sub-rows, and an absolute count written on sub-row 0 would be wrong
        // (InventoryStore writes those as the difference instead).
        return Update(current.ProductId, current.WarehouseId, sets, "attribute_exists(#p) AND #v = :v AND #r <= :s AND attribute_not_exists(#sr)", values,
            kind is { } moved ? new MoveCause(moved, by, reason, reference) : null);
    }

    /// <summary>
    /// The admin's absolute write on a hot row (<paramref name="current"/> is the row with its sub-rows added in): the
    /// stock moves by <paramref name="delta"/> on sub-row 0, which must have that many available for a write-down, and
    /// the threshold and category are written as they are, all guarded by the version read.
    /// </summary>
    public TransactWriteItem SetSpreadCounts(
        InventoryRow current, long delta, StockChange change, DateTimeOffset now, Actor by, string? reason = null, string? reference = null)
    {
        var values = new Dictionary<string, AttributeValue>
        {
            [":d"] = Items.N(delta),
            [":t"] = Items.N(change.ThresholdLevel ?? current.ThresholdLevel),
            [":v"] = Items.N(current.Version),
            [":one"] = Items.N(1),
            [":now"] = Items.Time(now),
        };
        var sets = "SET #s = #s + :d, #a = #a + :d, #t = :t, #v = #v + :one, #lu = :now";
        if (change.Category is { } category)
        {
            values[":c"] = Items.S(category);
            sets += ", #c = :c";
        }

        var condition = "attribute_exists(#p) AND #v = :v AND attribute_exists(#sr)";
        if (delta < 0)
        {
            values[":need"] = Items.N(-delta);
            condition += " AND #a >= :need";
        }

        var kind = change.StockCount is not null ? MoveKind.SET : change.ThresholdLevel is not null ? MoveKind.THRESHOLD : (MoveKind?)null;
        return Update(current.ProductId, current.WarehouseId, sets, condition, values, kind is { } moved ? new MoveCause(moved, by, reason, reference) : null);
    }

    /// <summary>
    /// Moves available units into (positive) or out of (negative) one sub-row of a hot row, as one side of a rebalance
    /// whose moves add up to zero in the same transaction: the row's totals do not change, so neither does its version.
    /// </summary>
    /// <param name="gathered">Units brought to sub-row 0 for a write that needs them there: stamped, so a rebalance leaves them a moment.</param>
    public TransactWriteItem Shift(string subRowKey, string warehouseId, long delta, DateTimeOffset now, Guid rebalance, bool gathered = false)
    {
        var values = new Dictionary<string, AttributeValue> { [":d"] = Items.N(delta), [":now"] = Items.Time(now) };
        var condition = "attribute_exists(#p)";
        if (delta < 0)
        {
            values[":need"] = Items.N(-delta);
            condition += " AND #a >= :need";
        }

        return Update(subRowKey, warehouseId, "SET #s = #s + :d, #a = #a + :d, #lu = :now" + (gathered ? ", #ga = :now" : ""), condition, values,
            new MoveCause(MoveKind.REBALANCE, Actor.Rebalancer, Reference: rebalance.ToString("N")));
    }

    /// <summary>A new, empty sub-row <paramref name="index"/> of a row (only if there is none); its first move.</summary>
    public TransactWriteItem CreateSubRow(string productId, int index, string warehouseId, DateTimeOffset now)
    {
        var item = Items.InventoryKey(SubRows.KeyOf(productId, index), warehouseId);
        item[Attr.SubRowOf] = Items.S(productId);
        item[Attr.StockCount] = Items.N(0);
        item[Attr.ReservedCount] = Items.N(0);
        item[Attr.AvailableCount] = Items.N(0);
        item[Attr.ThresholdLevel] = Items.N(0);
        item[Attr.LastUpdated] = Items.Time(now);
        item[Attr.Version] = Items.N(1);
        item[Attr.MoveSequence] = Items.N(1);
        item[Attr.LastMove] = LastMove(new MoveCause(MoveKind.CREATE, Actor.Rebalancer));
        return new TransactWriteItem
        {
            Put = new Put
            {
                TableName = table,
                Item = item,
                ConditionExpression = "attribute_not_exists(#p)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
            },
        };
    }

    /// <summary>Marks a row hot over <paramref name="count"/> sub-rows, only if it is not spread already (hot or still folding).</summary>
    /// <remarks>The row starts out claiming its earlier holds (<see cref="Attr.ClaimingHolds"/>): its units stay on it until <see cref="FinishClaiming"/>.</remarks>
    public TransactWriteItem MarkSpread(string productId, string warehouseId, int count) =>
        Update(productId, warehouseId, "SET #sr = :n, #hot = :hot, #cl = :yes ADD #sre :ever", "attribute_exists(#p) AND attribute_not_exists(#sr)",
            new()
            {
                [":n"] = Items.N(count),
                [":hot"] = Items.S(Indexes.HotListingValue),
                [":yes"] = new AttributeValue { BOOL = true },
                [":ever"] = new AttributeValue { NS = [count.ToString(System.Globalization.CultureInfo.InvariantCulture)] },
            },
            cause: null);

    /// <summary>Every hold the row had before it was marked hot has its claim: its units may spread now.</summary>
    public TransactWriteItem FinishClaiming(string productId, string warehouseId) =>
        Update(productId, warehouseId, "REMOVE #cl", "#cl = :yes", new() { [":yes"] = new AttributeValue { BOOL = true } }, cause: null);

    /// <summary>Starts folding a hot row back: from now on holds take from sub-row 0 only.</summary>
    public TransactWriteItem MarkFolding(string productId, string warehouseId) =>
        Update(productId, warehouseId, "SET #fo = :yes", "attribute_exists(#sr)", new() { [":yes"] = new AttributeValue { BOOL = true } }, cause: null);

    /// <summary>The row is one row again: its last sub-row is gone.</summary>
    public TransactWriteItem FinishFolding(string productId, string warehouseId) =>
        Update(productId, warehouseId, "REMOVE #sr, #fo, #hot, #cl", "#fo = :yes", new() { [":yes"] = new AttributeValue { BOOL = true } }, cause: null);

    /// <summary>Deletes a sub-row of a folding row once it holds nothing: no stock, so no held units either.</summary>
    public TransactWriteItem DeleteEmptySubRow(string subRowKey, string warehouseId) => new()
    {
        Delete = new Delete
        {
            TableName = table,
            Key = Items.InventoryKey(subRowKey, warehouseId),
            ConditionExpression = "#s = :zero AND #r = :zero",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.StockCount, ["#r"] = Attr.ReservedCount },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":zero"] = Items.N(0) },
        },
    };

    /// <summary>
    /// A new row (only if there is none): its counts, version 1, and the status they imply. No write races a put of a
    /// new item, so the status is stored with it; from then on the change stream keeps it. It is the row's first move.
    /// </summary>
    public TransactWriteItem Create(
        string productId, string warehouseId, long stock, long threshold, string? category, DateTimeOffset now, Actor by, out InventoryRow row)
    {
        var item = Items.InventoryKey(productId, warehouseId);
        item[Attr.StockCount] = Items.N(stock);
        item[Attr.ReservedCount] = Items.N(0);
        item[Attr.AvailableCount] = Items.N(stock);
        item[Attr.ThresholdLevel] = Items.N(threshold);
        item[Attr.Status] = Items.S(StockRules.StatusFor(stock, threshold).ToString());
        item[Attr.LastUpdated] = Items.Time(now);
        item[Attr.Version] = Items.N(1);
        item[Attr.MoveSequence] = Items.N(1);
        item[Attr.LastMove] = LastMove(new MoveCause(MoveKind.CREATE, by));
        if (category is not null)
        {
            item[Attr.Category] = Items.S(category);
        }

        row = Items.ToRow(item);
        return new TransactWriteItem
        {
            Put = new Put
            {
                TableName = table,
                Item = item,
                ConditionExpression = "attribute_not_exists(#p)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            },
        };
    }

    /// <summary>
    /// One conditional update of a row. A write that moves counts (<paramref name="cause"/> given) also counts the move
    /// (<c>move_seq</c>, one more than the row's last) and records why it was made (<c>last_move</c>), so the change
    /// stream's record of this write carries everything its history entry needs: the counts before and after are its
    /// two images, the order is the counter's, and a gap in the counter is a missing entry. Neither is ever read in a
    /// condition: writes stay conditioned on counts and the version only.
    /// </summary>
    private TransactWriteItem Update(
        string productId, string warehouseId, string update, string condition, Dictionary<string, AttributeValue> values, MoveCause? cause)
    {
        if (cause is not null)
        {
            update += ", #ms = if_not_exists(#ms, :zero) + :one, #lm = :lm";
            values[":zero"] = Items.N(0);
            values[":one"] = Items.N(1);
            values[":lm"] = LastMove(cause);
        }

        return new()
        {
            Update = new Update
            {
                TableName = table,
                Key = Items.InventoryKey(productId, warehouseId),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = NamesUsedIn(update, condition),
                ExpressionAttributeValues = values,
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            },
        };
    }

    /// <summary>The row's record of why its counts last moved; the reason and reference only when there is one.</summary>
    private static AttributeValue LastMove(MoveCause cause)
    {
        var move = new Dictionary<string, AttributeValue>
        {
            [Attr.MoveKind] = Items.S(cause.Kind.ToString()),
            [Attr.MovedBy] = Items.S(cause.By.Name),
        };
        if (!string.IsNullOrEmpty(cause.Reason))
        {
            move[Attr.MoveReason] = Items.S(cause.Reason);
        }

        if (!string.IsNullOrEmpty(cause.Reference))
        {
            move[Attr.MoveReference] = Items.S(cause.Reference);
        }

        return new AttributeValue { M = move };
    }

    private static readonly Dictionary<string, string> RowNames = new(StringComparer.Ordinal)
    {
        ["#p"] = Attr.ProductId,
        ["#s"] = Attr.StockCount,
        ["#r"] = Attr.ReservedCount,
        ["#a"] = Attr.AvailableCount,
        ["#t"] = Attr.ThresholdLevel,
        ["#c"] = Attr.Category,
        ["#v"] = Attr.Version,
        ["#lu"] = Attr.LastUpdated,
        ["#ms"] = Attr.MoveSequence,
        ["#lm"] = Attr.LastMove,
        ["#sr"] = Attr.SubRowCount,
        ["#fo"] = Attr.Folding,
        ["#hot"] = Attr.HotListing,
        ["#sre"] = Attr.SubRowsEver,
        ["#ga"] = Attr.GatheredAt,
        ["#cl"] = Attr.ClaimingHolds,
    };

    /// <summary>The names each expression text uses; the texts are a handful of fixed strings, so each is scanned once.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> NamesByExpression = new(StringComparer.Ordinal);

    /// <summary>The row's attribute names these expressions use (DynamoDB refuses a request that names one it does not use); a fresh copy.</summary>
    private static Dictionary<string, string> NamesUsedIn(string first, string second) =>
        NamesByExpression.GetOrAdd(first + "\n" + second, text => NameToken().Matches(text).Select(m => m.Value).Where(RowNames.ContainsKey).Distinct().ToArray())
            .ToDictionary(name => name, name => RowNames[name], StringComparer.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex("#[A-Za-z0-9_]+")]
    private static partial System.Text.RegularExpressions.Regex NameToken();
}
