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
/// the table's change stream (<see cref="StatusTransitions"/>); answers compute the status from the counts.
/// </para>
/// </summary>
public sealed partial class StockRows(IOptions<StorageOptions> options)
{
    private readonly string table = options.Value.InventoryTable;

    /// <summary>Units move from available to reserved; needs them available.</summary>
    public TransactWriteItem TakeHold(string productId, string warehouseId, long quantity, DateTimeOffset now) =>
        Update(productId, warehouseId, "SET #r = #r + :q, #a = #a - :q, #lu = :now", "attribute_exists(#p) AND #a >= :q",
            new() { [":q"] = Items.N(quantity), [":now"] = Items.Time(now) });

    /// <summary>Units move back from reserved to available; needs them reserved.</summary>
    public TransactWriteItem ReturnHold(string productId, string warehouseId, long quantity, DateTimeOffset now) =>
        Update(productId, warehouseId, "SET #r = #r - :q, #a = #a + :q, #lu = :now", "attribute_exists(#p) AND #r >= :q",
            new() { [":q"] = Items.N(quantity), [":now"] = Items.Time(now) });

    /// <summary>Stock leaves the building: held units leave reserved, direct sales leave available. Bumps the version.</summary>
    public TransactWriteItem Sell(string productId, string warehouseId, long held, long direct, DateTimeOffset now) =>
        Update(productId, warehouseId, "SET #s = #s - :total, #r = #r - :held, #a = #a - :direct, #v = #v + :one, #lu = :now",
            "attribute_exists(#p) AND #a >= :direct AND #r >= :held",
            new()
            {
                [":total"] = Items.N(held + direct),
                [":held"] = Items.N(held),
                [":direct"] = Items.N(direct),
                [":one"] = Items.N(1),
                [":now"] = Items.Time(now),
            });

    /// <summary>
    /// A relative stock change. A write-off cannot take held units (available would go negative); a receipt
    /// cannot pass the documented ceiling of <see cref="Validator.MaxCount"/>. Bumps the version.
    /// </summary>
    public TransactWriteItem Adjust(string productId, string warehouseId, long delta, DateTimeOffset now)
    {
        var values = new Dictionary<string, AttributeValue> { [":d"] = Items.N(delta), [":one"] = Items.N(1), [":now"] = Items.Time(now) };
        const string Sets = "SET #s = #s + :d, #a = #a + :d, #v = #v + :one, #lu = :now";
        if (delta < 0)
        {
            values[":need"] = Items.N(-delta);
            return Update(productId, warehouseId, Sets, "attribute_exists(#p) AND #a >= :need", values);
        }

        values[":room"] = Items.N(Validator.MaxCount - delta);
        return Update(productId, warehouseId, Sets, "attribute_exists(#p) AND #s <= :room", values);
    }

    /// <summary>
    /// The admin's absolute write, guarded by the version read (which pins stock and threshold). Holds do not bump
    /// the version, so available is recomputed from the live reserved count inside the write (a hold taken a
    /// millisecond earlier is never lost), and stock may not go below what is held.
    /// </summary>
    public TransactWriteItem SetCounts(InventoryRow current, StockChange change, DateTimeOffset now)
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

        return Update(current.ProductId, current.WarehouseId, sets, "attribute_exists(#p) AND #v = :v AND #r <= :s", values);
    }

    /// <summary>
    /// A new row (only if there is none): its counts, version 1, and the status they imply. No write races a put of a
    /// new item, so the status is stored with it; from then on the change stream keeps it.
    /// </summary>
    public TransactWriteItem Create(string productId, string warehouseId, long stock, long threshold, string? category, DateTimeOffset now, out InventoryRow row)
    {
        var item = Items.InventoryKey(productId, warehouseId);
        item[Attr.StockCount] = Items.N(stock);
        item[Attr.ReservedCount] = Items.N(0);
        item[Attr.AvailableCount] = Items.N(stock);
        item[Attr.ThresholdLevel] = Items.N(threshold);
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

    private TransactWriteItem Update(string productId, string warehouseId, string update, string condition, Dictionary<string, AttributeValue> values) => new()
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
