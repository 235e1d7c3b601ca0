using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record ProductPage(IReadOnlyList<Product> Products, string? NextToken);

/// <summary>The catalogue. A product and its first stock row are created together or not at all.</summary>
public sealed class ProductStore(IAmazonDynamoDB dynamo, Writes writes, StockRows rows, InventoryStore inventory, IOptions<StorageOptions> options)
{
    private readonly StorageOptions storage = options.Value;

    /// <summary>
    /// Creates the product and its zero-stock row; the same product posted again is a no-op. The product keeps
    /// <paramref name="thresholdLevel"/> too: the threshold its later warehouse rows start with.
    /// </summary>
    public async Task<(Product Product, InventoryRow Row, bool Created)> CreateAsync(
        Product product, string warehouseId, long thresholdLevel, Actor by, CancellationToken ct)
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

            return (existing, (await inventory.GetRowsAsync(product.Sku, ct)) is [var first, ..] ? first : row, false);
        }

        // Stock rows already exist for this id (loaded before the catalogue entry): keep them, add the entry.
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = storage.ProductsTable,
            Item = item,
            ConditionExpression = "attribute_not_exists(#s)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#s"] = Attr.Sku },
        }, ct);
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

    private static bool SameContent(Product a, Product b) =>
        a.Name == b.Name && a.Description == b.Description && a.Price == b.Price && a.ImageUrl == b.ImageUrl && a.Category == b.Category;
}
