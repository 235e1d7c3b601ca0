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
        string guard;
        if (delta < 0)
        {
            values[":need"] = Items.N(-delta);
            guard = "#a >= :need";
        }
        else
        {
            values[":room"] = Items.N(Validator.MaxCount - delta);
            guard = "#s <= :room";
        }

        return Update(productId, warehouseId, "SET #s = #s + :d, #a = #a + :d, #v = #v + :one, #lu = :now", "attribute_exists(#p) AND " + guard, values);
    }

    /// <summary>
    /// The admin's absolute write, guarded by the version the admin saw. Available is recomputed from the live
    /// reserved count inside the write, so a hold taken a millisecond earlier is never lost, and stock may not go
    /// below what is held. Answers the new row.
    /// </summary>
    public UpdateItemRequest SetCounts(string productId, string warehouseId, StockChange change, long expectedVersion, DateTimeOffset now)
    {
        var values = new Dictionary<string, AttributeValue> { [":v"] = Items.N(expectedVersion), [":one"] = Items.N(1), [":now"] = Items.Time(now) };
        var sets = new List<string> { "#v = #v + :one", "#lu = :now" };
        var condition = "attribute_exists(#p) AND #v = :v";
        if (change.StockCount is { } stock)
        {
            values[":s"] = Items.N(stock);
            sets.Add("#s = :s");
            sets.Add("#a = :s - #r");
            condition += " AND #r <= :s";
        }

        var names = NamesUsedIn(condition, string.Join(", ", sets));
        if (change.ThresholdLevel is { } threshold)
        {
            names["#t"] = Attr.ThresholdLevel;
            values[":t"] = Items.N(threshold);
            sets.Add("#t = :t");
        }

        if (change.Category is { } category)
        {
            names["#c"] = Attr.Category;
            values[":c"] = Items.S(category);
            sets.Add("#c = :c");
        }

        return new UpdateItemRequest
        {
            TableName = table,
            Key = Items.InventoryKey(productId, warehouseId),
            UpdateExpression = "SET " + string.Join(", ", sets),
            ConditionExpression = condition,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValues = ReturnValue.ALL_NEW,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
    }

    /// <summary>
    /// Writes the status the counts imply. The condition pins the counts it was computed from, so a newer write
    /// always wins and one transition is written at most once.
    /// </summary>
    public TransactWriteItem PinStatus(InventoryRow row) => new()
    {
        Update = new Update
        {
            TableName = table,
            Key = Items.InventoryKey(row.ProductId, row.WarehouseId),
            UpdateExpression = "SET #st = :new",
            ConditionExpression = "#st = :old AND #a = :a AND #t = :t",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#st"] = Attr.Status, ["#a"] = Attr.AvailableCount, ["#t"] = Attr.ThresholdLevel },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":new"] = Items.S(row.Status.ToString()),
                [":old"] = Items.S(row.StoredStatus.ToString()),
                [":a"] = Items.N(row.AvailableCount),
                [":t"] = Items.N(row.ThresholdLevel),
            },
        },
    };

    /// <summary>A new row (only if there is none): its counts, derived status and version 1.</summary>
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
