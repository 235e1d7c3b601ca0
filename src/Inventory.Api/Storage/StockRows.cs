using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// Every change to a stock row, in one place. Each keeps <c>available_count = stock_count - reserved_count</c> by
/// construction (both sides move by the same amount, or available is recomputed from reserved inside the write,
/// since conditions cannot do arithmetic) and guards with a condition that no count goes below zero. On a
/// failed condition each returns the row as it was, to say how many units there were.
/// <para>
/// Each relative change is a <see cref="StockRowChange"/>, which also keeps the stored status (what the status
/// index and the alerts rely on) exact in the same write, so it is never stale and needs no follow-up work.
/// </para>
/// </summary>
public sealed partial class StockRows(IOptions<StorageOptions> options)
{
    /// <summary>All alerts share one partition, sorted by time: recent ones are one cheap query (a few per minute at most).</summary>
    public const string AlertStreamName = "alerts";

    private readonly string table = options.Value.InventoryTable;
    private readonly string alertsTable = options.Value.AlertsTable;
    private readonly int alertRetentionDays = options.Value.AlertRetentionDays;

    /// <summary>Units move from available to reserved; needs them available.</summary>
    public StockRowChange TakeHold(string productId, string warehouseId, long quantity, DateTimeOffset now) =>
        new(this, productId, warehouseId, -quantity, 0, "#r = #r + :q, #a = #a - :q, #lu = :now", "#a >= :q",
            new() { [":q"] = Items.N(quantity), [":now"] = Items.Time(now) }, row => row.AvailableCount >= quantity);

    /// <summary>Units move back from reserved to available; needs them reserved.</summary>
    public StockRowChange ReturnHold(string productId, string warehouseId, long quantity, DateTimeOffset now) =>
        new(this, productId, warehouseId, quantity, 0, "#r = #r - :q, #a = #a + :q, #lu = :now", "#r >= :q",
            new() { [":q"] = Items.N(quantity), [":now"] = Items.Time(now) }, row => row.ReservedCount >= quantity);

    /// <summary>Stock leaves the building: held units leave reserved, direct sales leave available. Bumps the version.</summary>
    public StockRowChange Sell(string productId, string warehouseId, long held, long direct, DateTimeOffset now) =>
        new(this, productId, warehouseId, -direct, -(held + direct), "#s = #s - :total, #r = #r - :held, #a = #a - :direct, #v = #v + :one, #lu = :now",
            "#a >= :direct AND #r >= :held",
            new()
            {
                [":total"] = Items.N(held + direct),
                [":held"] = Items.N(held),
                [":direct"] = Items.N(direct),
                [":one"] = Items.N(1),
                [":now"] = Items.Time(now),
            },
            row => row.AvailableCount >= direct && row.ReservedCount >= held);

    /// <summary>
    /// A relative stock change. A write-off cannot take held units (available would go negative); a receipt
    /// cannot pass the documented ceiling of <see cref="Validator.MaxCount"/>. Bumps the version.
    /// </summary>
    public StockRowChange Adjust(string productId, string warehouseId, long delta, DateTimeOffset now)
    {
        var values = new Dictionary<string, AttributeValue> { [":d"] = Items.N(delta), [":one"] = Items.N(1), [":now"] = Items.Time(now) };
        const string Sets = "#s = #s + :d, #a = #a + :d, #v = #v + :one, #lu = :now";
        if (delta < 0)
        {
            values[":need"] = Items.N(-delta);
            return new(this, productId, warehouseId, delta, delta, Sets, "#a >= :need", values, row => row.AvailableCount >= -delta);
        }

        values[":room"] = Items.N(Validator.MaxCount - delta);
        return new(this, productId, warehouseId, delta, delta, Sets, "#s <= :room", values, row => row.StockCount <= Validator.MaxCount - delta);
    }

    /// <summary>
    /// No change to the counts: writes the status (with its alert) and headroom the counts imply, for a row whose
    /// stored ones lag (<see cref="NeedsRestating"/>): data written before the status moved into each write.
    /// </summary>
    public StockRowChange Restate(string productId, string warehouseId) =>
        new(this, productId, warehouseId, 0, 0, sets: null, guard: null, [], _ => true);

    /// <summary>Whether a stored row's status or headroom is not what its counts imply.</summary>
    public static bool NeedsRestating(Dictionary<string, AttributeValue> item)
    {
        var row = Items.ToRow(item);
        return item.GetValueOrDefault(Attr.Status)?.S != row.Status.ToString()
            || !item.ContainsKey(Attr.Headroom)
            || Items.Long(item, Attr.Headroom) != row.AvailableCount - row.ThresholdLevel;
    }

    /// <summary>
    /// The admin's absolute write, built from the row as read (<paramref name="current"/>) and guarded by its
    /// version, which pins stock and threshold. Holds do not bump the version, so available is recomputed from the
    /// live reserved count inside the write (a hold taken a millisecond earlier is never lost), and the condition
    /// keeps reserved within the range where the status written is the one the new counts imply; stock may not go
    /// below what is held. When the status moves, <paramref name="alert"/> is its alert, to commit with it;
    /// <paramref name="written"/> is the row as written if no hold moves it meanwhile.
    /// </summary>
    public TransactWriteItem SetCounts(
        InventoryRow current, StockChange change, DateTimeOffset now, out TransactWriteItem? alert, out InventoryRow written)
    {
        var stock = change.StockCount ?? current.StockCount;
        var threshold = change.ThresholdLevel ?? current.ThresholdLevel;
        var after = current with { StockCount = stock, ThresholdLevel = threshold, AvailableCount = stock - current.ReservedCount };
        var status = after.Status;
        written = after with
        {
            StoredStatus = status, Category = change.Category ?? current.Category, LastUpdated = now, Version = current.Version + 1,
        };
        var values = new Dictionary<string, AttributeValue>
        {
            [":s"] = Items.N(stock),
            [":t"] = Items.N(threshold),
            [":line"] = Items.N(stock - threshold),
            [":st"] = Items.S(status.ToString()),
            [":st0"] = Items.S(current.StoredStatus.ToString()),
            [":v"] = Items.N(current.Version),
            [":one"] = Items.N(1),
            [":now"] = Items.Time(now),
        };

        // available = stock - reserved; the status is OUT while reserved >= stock, LOW while reserved >= stock - threshold.
        var reservedInBand = status switch
        {
            StockStatus.OUT_OF_STOCK => "#r >= :s",
            StockStatus.LOW_STOCK => "#r < :s AND #r >= :line",
            _ => "#r < :line",
        };
        var sets = "#s = :s, #a = :s - #r, #t = :t, #h = :line - #r, #st = :st, #v = #v + :one, #lu = :now";
        if (change.Category is { } category)
        {
            values[":c"] = Items.S(category);
            sets += ", #c = :c";
        }

        var condition = $"attribute_exists(#p) AND #v = :v AND #st = :st0 AND #r <= :s AND {reservedInBand}";
        alert = null;
        if (status != current.StoredStatus)
        {
            var at = TransitionTime(current, now);
            values[":sc"] = Items.Time(at);
            sets += ", #sc = :sc";
            condition += " AND " + PinPreviousTransition(current, values);
            alert = Alert(current, after, at);
        }

        return Update(current.ProductId, current.WarehouseId, "SET " + sets, condition, values);
    }

    /// <summary>A new row (only if there is none): its counts, derived status and version 1.</summary>
    public TransactWriteItem Create(string productId, string warehouseId, long stock, long threshold, string? category, DateTimeOffset now, out InventoryRow row)
    {
        var item = Items.InventoryKey(productId, warehouseId);
        item[Attr.StockCount] = Items.N(stock);
        item[Attr.ReservedCount] = Items.N(0);
        item[Attr.AvailableCount] = Items.N(stock);
        item[Attr.ThresholdLevel] = Items.N(threshold);
        item[Attr.Headroom] = Items.N(stock - threshold);
        item[Attr.Status] = Items.S(StockRules.StatusFor(stock, threshold).ToString());
        item[Attr.LastUpdated] = Items.Time(now);
        item[Attr.Version] = Items.N(1);
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
    /// A self-describing alert record for the move from <paramref name="before"/>'s stored status to
    /// <paramref name="after"/>'s: everything a reader (or an EventBridge Pipe input template turning it into an
    /// email) needs is in the record itself, including a readable sentence. It commits with the write that moves
    /// the status (a transactional outbox): no alert for a change that did not happen, no transition without its alert.
    /// </summary>
    internal TransactWriteItem Alert(InventoryRow before, InventoryRow after, DateTimeOffset now)
    {
        var id = Guid.NewGuid().ToString("N");
        return new TransactWriteItem
        {
            Put = new Put
            {
                TableName = alertsTable,
                Item = new Dictionary<string, AttributeValue>
                {
                    [Attr.AlertStream] = Items.S(AlertStreamName),
                    [Attr.AlertSortKey] = Items.S($"{Items.FormatTime(now)}#{id}"),
                    [Attr.AlertId] = Items.S(id),
                    [Attr.RecordType] = Items.S("STOCK_STATUS_CHANGED"),
                    [Attr.ProductId] = Items.S(after.ProductId),
                    [Attr.WarehouseId] = Items.S(after.WarehouseId),
                    [Attr.StockCount] = Items.N(after.StockCount),
                    [Attr.AvailableCount] = Items.N(after.AvailableCount),
                    [Attr.ThresholdLevel] = Items.N(after.ThresholdLevel),
                    [Attr.OldStatus] = Items.S(before.StoredStatus.ToString()),
                    [Attr.NewStatus] = Items.S(after.Status.ToString()),
                    [Attr.CreatedAt] = Items.Time(now),
                    [Attr.Message] = Items.S(
                        $"{after.ProductId} in warehouse {after.WarehouseId} is now {after.Status} (was {before.StoredStatus}): " +
                        $"{after.AvailableCount} available of {after.StockCount} in stock, threshold {after.ThresholdLevel}."),
                    [Attr.Ttl] = Items.N(now.AddDays(alertRetentionDays).ToUnixTimeSeconds()),
                },
            },
        };
    }

    /// <summary>
    /// The time of a transition: now, but always after the row's previous one, so a row's alerts (listed and
    /// delivered by time) keep their order even when two happen within one millisecond. The write that records it
    /// is pinned to the stored status, so the next transition is built from a row that already holds this time.
    /// </summary>
    internal static DateTimeOffset TransitionTime(InventoryRow before, DateTimeOffset now) =>
        before.StatusChangedAt is { } previous && previous >= now ? previous.AddMilliseconds(1) : now;

    /// <summary>
    /// The condition that no other transition committed since <paramref name="before"/> was read. Pinning the status
    /// alone is not enough: a row can leave a status and come back (LOW, OUT, LOW) while a transition built from the
    /// first LOW waits, and it would then commit after the others with an older time.
    /// </summary>
    internal static string PinPreviousTransition(InventoryRow before, Dictionary<string, AttributeValue> values)
    {
        if (before.StatusChangedAt is not { } previous)
        {
            return "attribute_not_exists(#sc)";
        }

        values[":pin_sc"] = Items.Time(previous);
        return "#sc = :pin_sc";
    }

    internal TransactWriteItem Update(string productId, string warehouseId, string update, string condition, Dictionary<string, AttributeValue> values) => new()
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

    private static readonly Dictionary<string, string> RowNames = new(StringComparer.Ordinal)
    {
        ["#p"] = Attr.ProductId,
        ["#s"] = Attr.StockCount,
        ["#r"] = Attr.ReservedCount,
        ["#a"] = Attr.AvailableCount,
        ["#t"] = Attr.ThresholdLevel,
        ["#h"] = Attr.Headroom,
        ["#st"] = Attr.Status,
        ["#sc"] = Attr.StatusChangedAt,
        ["#c"] = Attr.Category,
        ["#v"] = Attr.Version,
        ["#lu"] = Attr.LastUpdated,
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
