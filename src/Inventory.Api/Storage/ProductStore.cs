using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record ProductPage(IReadOnlyList<Product> Products, string? NextToken);

/// <summary>
/// The catalogue. A product, its first stock row and its search index items are created together or not at all, so a
/// product that exists can always be found.
/// </summary>
public sealed class ProductStore(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, InventoryStore inventory, ProductSearchIndex search, IOptions<StorageOptions> options)
{
    private readonly StorageOptions storage = options.Value;

    /// <summary>
    /// Creates the product and its zero-stock row; the same product posted again is a no-op. The product keeps
    /// <paramref name="thresholdLevel"/> too: the threshold its later warehouse rows start with.
    /// </summary>
    public async Task<(Product Product, InventoryRow Row, bool Created)> CreateAsync(
        Product product, string warehouseId, long thresholdLevel, Actor by, CancellationToken ct)
    {
        var item = ProductItem(product, thresholdLevel);

        var transaction = new Transaction();
        var create = transaction.Add(new TransactWriteItem
        {
            Put = new Put
            {
                TableName = storage.ProductsTable,
                Item = item,
                ConditionExpression = "attribute_not_exists(#s)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.Sku },
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            },
        });
        transaction.Add(rows.Create(product.Sku, warehouseId, 0, thresholdLevel, product.Category, product.CreatedAt, by, out var row));
        foreach (var put in search.Puts(product))
        {
            transaction.Add(put);
        }

        var outcome = await writes.CommitAsync(transaction, ct);

        if (outcome.IsCommitted)
        {
            return (product, row, true);
        }

        if (outcome.OldItem(create) is { } stored)
        {
            var existing = Items.ToProduct(stored);
            if (!SameContent(existing, product))
            {
                throw Problems.ProductExists(product.Sku);
            }

            // The same product posted again: its index items are put again, which repairs a product stored before the
            // index existed at the cost of a few writes on a call that is rare.
            await search.RepairAsync(existing, ct);
            return (existing, (await inventory.GetRowsAsync(product.Sku, ct)) is [var first, ..] ? first : row, false);
        }

        // Stock rows already exist for this id (loaded before the catalogue entry): keep them, add the entry and its
        // index items together.
        var entry = new Transaction();
        entry.Add(new TransactWriteItem
        {
            Put = new Put
            {
                TableName = storage.ProductsTable,
                Item = item,
                ConditionExpression = "attribute_not_exists(#s)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.Sku },
            },
        });
        foreach (var indexPut in search.Puts(product))
        {
            entry.Add(indexPut);
        }

        if (!(await writes.CommitAsync(entry, ct)).IsCommitted)
        {
            // Someone created the entry in between: the same answer as a second post.
            return await CreateAsync(product, warehouseId, thresholdLevel, by, ct);
        }

        return (product, (await inventory.GetRowsAsync(product.Sku, ct))[0], true);
    }

    public async Task<Product?> GetAsync(string sku, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = storage.ProductsTable,
            Key = Items.ProductKey(sku),
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item ? Items.ToProduct(item) : null;
    }

    /// <summary>
    /// Sets (or, with 0, clears) the product's lead time; null when there is no such product. Only the catalogue entry
    /// changes: each row's cover is evaluated against it at the row's next change (<see cref="StockCover"/>), or at once
    /// by the caller.
    /// </summary>
    public async Task<Product?> SetLeadTimeAsync(string sku, int leadTimeDays, DateTimeOffset at, CancellationToken ct)
    {
        var names = new Dictionary<string, string> { ["#s"] = Attr.Sku, ["#l"] = Attr.LeadTimeDays, ["#u"] = Attr.UpdatedAt };
        var values = new Dictionary<string, AttributeValue> { [":u"] = Items.Time(at) };
        var update = "SET #u = :u";
        if (leadTimeDays > 0)
        {
            values[":l"] = Items.N(leadTimeDays);
            update += ", #l = :l";
        }
        else
        {
            update += " REMOVE #l";
        }

        var updated = await writes.UpdateAsync(new UpdateItemRequest
        {
            TableName = storage.ProductsTable,
            Key = Items.ProductKey(sku),
            UpdateExpression = update,
            ConditionExpression = "attribute_exists(#s)",
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValues = ReturnValue.ALL_NEW,
        }, onConditionFailed: null, ct);
        return updated is null ? null : Items.ToProduct(updated.Attributes);
    }

    public async Task<ProductPage> ListAsync(int limit, string? nextToken, CancellationToken ct)
    {
        var response = await dynamo.ScanAsync(new ScanRequest
        {
            TableName = storage.ProductsTable,
            Limit = limit,
            ExclusiveStartKey = PageToken.Decode(nextToken, (Attr.Sku, null)),
        }, ct);
        return new ProductPage((response.Items ?? []).Select(Items.ToProduct).ToList(), PageToken.Encode(response.LastEvaluatedKey));
    }

    /// <summary>The catalogue item of a product, keeping the threshold its later warehouse rows start with.</summary>
    internal static Dictionary<string, AttributeValue> ProductItem(Product product, long thresholdLevel)
    {
        var item = Items.ProductKey(product.Sku);
        item[Attr.Name] = Items.S(product.Name);
        item[Attr.Price] = Items.N(product.Price);
        item[Attr.CreatedAt] = Items.Time(product.CreatedAt);
        item[Attr.UpdatedAt] = Items.Time(product.UpdatedAt);
        item[Attr.ThresholdLevel] = Items.N(thresholdLevel);
        if (product.Description is not null)
        {
            item[Attr.Description] = Items.S(product.Description);
        }

        if (product.ImageUrl is not null)
        {
            item[Attr.ImageUrl] = Items.S(product.ImageUrl);
        }

        if (product.Category is not null)
        {
            item[Attr.Category] = Items.S(product.Category);
        }

        if (product.LeadTimeDays is int leadTime and > 0)
        {
            item[Attr.LeadTimeDays] = Items.N(leadTime);
        }

        return item;
    }

    /// <summary>
    /// Whether <paramref name="b"/>, posted again, is the stored <paramref name="a"/>. A repeat without a lead time matches
    /// any: staff set it later (PUT /products/{sku}/lead-time), and the catalogue's load script must stay safe to re-run.
    /// </summary>
    private static bool SameContent(Product a, Product b) =>
        a.Name == b.Name && a.Description == b.Description && a.Price == b.Price && a.ImageUrl == b.ImageUrl && a.Category == b.Category
        && (b.LeadTimeDays is null || a.LeadTimeDays == b.LeadTimeDays);

    /// <summary>
    /// The threshold the product was created with, or null if it has none stored. A product that does not exist reads
    /// as null too: the row's creation then refuses it, through its condition on the product.
    /// </summary>
    public async Task<(long? Threshold, string? Category)> DefaultsAsync(string productId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = storage.ProductsTable,
            Key = Items.ProductKey(productId),
            ProjectionExpression = "#t, #c",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#t"] = Attr.ThresholdLevel, ["#c"] = Attr.Category },
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item
            ? (item.ContainsKey(Attr.ThresholdLevel) ? Items.Long(item, Attr.ThresholdLevel) : null, Items.Str(item, Attr.Category))
            : (null, null);
    }

    /// <summary>A transaction's check that the product exists (a row is created only for a product that does).</summary>
    public TransactWriteItem MustExist(string sku) => new()
    {
        ConditionCheck = new ConditionCheck
        {
            TableName = storage.ProductsTable,
            Key = Items.ProductKey(sku),
            ConditionExpression = "attribute_exists(#s)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.Sku },
        },
    };
}
