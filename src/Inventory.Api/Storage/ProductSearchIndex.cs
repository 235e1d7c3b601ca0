using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// Product search without a search engine: one small item per search term of a product (<see cref="SearchText"/>),
/// partition key the term's first two characters, sort key the term, '#', the sku. A prefix search is one Query with
/// begins_with on the sort key of one partition; the items carry the product's terms, so the other words of the query
/// and the de-duplication are decided without reading the products. The products of a page are then read in one
/// strongly consistent BatchGetItem and checked again against their current name and sku, so an index item that
/// outlived a change of its product never answers.
/// </summary>
public sealed class ProductSearchIndex(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, ILogger<ProductSearchIndex> logger)
{
    /// <summary>
    /// Index items one request may read before it answers what it found with a token to go on: a query whose other
    /// words match few of the leading word's items costs every request at most this much: about 100 KB of index items,
    /// some 25 read units strongly consistent (125 with the longest names).
    /// </summary>
    public const int MaxItemsReadPerRequest = 1000;

    /// <summary>Sorts below every letter and digit in UTF-8, so a term's items come before those of longer terms it starts.</summary>
    private const char Separator = '#';

    private readonly StorageOptions storage = options.Value;

    /// <summary>The index items of a product, to put in the transaction that writes the product.</summary>
    public IEnumerable<TransactWriteItem> Puts(Product product) =>
        IndexItems(product).Select(item => new TransactWriteItem { Put = new Put { TableName = storage.ProductSearchTable, Item = item } });

    /// <summary>
    /// Puts a product's index items again (an unchanged item is rewritten as it was): repairs a product that was stored
    /// before the index existed, or whose items were lost.
    /// </summary>
    public Task RepairAsync(Product product, CancellationToken ct) => PutAllAsync(IndexItems(product).ToList(), ct);

    /// <summary>Indexes every product of the catalogue (a table made before the index existed). Idempotent; returns the products read.</summary>
    public async Task<int> BackfillAsync(CancellationToken ct)
    {
        var count = 0;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = storage.ProductsTable, ExclusiveStartKey = start }, ct);
            var products = (page.Items ?? []).Select(Storage.Items.ToProduct).ToList();
            await PutAllAsync(products.SelectMany(IndexItems).ToList(), ct);
            count += products.Count;
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);

        logger.LogInformation("Search index backfill indexed {Count} products", count);
        return count;
    }

    /// <summary>Whether the index holds no item at all (a table just made beside a catalogue that may not be empty).</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken ct) =>
        (await dynamo.ScanAsync(new ScanRequest { TableName = storage.ProductSearchTable, Limit = 1 }, ct)).Items is not { Count: > 0 };

    /// <summary>
    /// One page of products matching <paramref name="query"/>, ordered by the term they matched, then sku. The page may
    /// be shorter than <paramref name="limit"/> (even empty) with a token when the read budget ran out first.
    /// </summary>
    public async Task<ProductPage> SearchAsync(SearchQuery query, int limit, string? nextToken, CancellationToken ct)
    {
        var partition = SearchText.PartitionOf(query.Leading);
        var start = PageToken.Decode(nextToken, (Attr.SearchPrefix, partition), (Attr.SearchTerm, null));

        // DynamoDB refuses a start key outside the key condition; a token from another query is the caller's mistake.
        if (start is not null && !start[Attr.SearchTerm].S.StartsWith(query.Leading, StringComparison.Ordinal))
        {
            throw PageToken.InvalidToken();
        }

        var hits = new List<(string Term, string Sku)>();
        Dictionary<string, AttributeValue>? resumeAt = null;
        var read = 0;
        var pageLimit = limit + 1;
        while (true)
        {
            var response = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = storage.ProductSearchTable,
                KeyConditionExpression = "#p = :p AND begins_with(#t, :t)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.SearchPrefix, ["#t"] = Attr.SearchTerm },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":p"] = Storage.Items.S(partition),
                    [":t"] = Storage.Items.S(query.Leading),
                },
                ConsistentRead = true,
                Limit = Math.Min(pageLimit, MaxItemsReadPerRequest - read),
                ExclusiveStartKey = start,
            }, ct);
            var items = response.Items ?? [];
            read += items.Count;
            var more = response.LastEvaluatedKey is { Count: > 0 };
            for (var i = 0; i < items.Count && resumeAt is null; i++)
            {
                var item = items[i];
                var (term, sku) = SplitKey(item[Attr.SearchTerm].S);
                if (query.Accepts(term, TermsOf(item)))
                {
                    hits.Add((term, sku));
                    if (hits.Count == limit && (i < items.Count - 1 || more))
                    {
                        resumeAt = KeyOf(item);
                    }
                }
            }

            if (resumeAt is not null || !more)
            {
                break;
            }

            start = response.LastEvaluatedKey;
            if (read >= MaxItemsReadPerRequest)
            {
                resumeAt = start;
                break;
            }

            // Past the first read the other words are filtering: read in larger steps.
            pageLimit = 200;
        }

        var products = await GetProductsAsync(hits.Select(h => h.Sku).Distinct(StringComparer.Ordinal).ToList(), ct);
        var found = hits
            .Where(h => products.TryGetValue(h.Sku, out var p) && query.Accepts(h.Term, SearchText.ProductTerms(p.Name, p.Sku)))
            .Select(h => products[h.Sku])
            .ToList();
        return new ProductPage(found, PageToken.Encode(resumeAt));
    }

    /// <summary>The index items of a product, one per indexed term.</summary>
    internal static IEnumerable<Dictionary<string, AttributeValue>> IndexItems(Product product)
    {
        var terms = SearchText.ProductTerms(product.Name, product.Sku);
        var joined = Storage.Items.S(string.Join(' ', terms));
        return SearchText.IndexedTerms(terms).Select(term => new Dictionary<string, AttributeValue>
        {
            [Attr.SearchPrefix] = Storage.Items.S(SearchText.PartitionOf(term)),
            [Attr.SearchTerm] = Storage.Items.S(term + Separator + product.Sku),
            [Attr.Sku] = Storage.Items.S(product.Sku),
            [Attr.Terms] = joined,
        });
    }

    private static (string Term, string Sku) SplitKey(string key)
    {
        var at = key.IndexOf(Separator, StringComparison.Ordinal);
        return (key[..at], key[(at + 1)..]);
    }

    private static List<string> TermsOf(Dictionary<string, AttributeValue> item) =>
        [.. (Storage.Items.Str(item, Attr.Terms) ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    private static Dictionary<string, AttributeValue> KeyOf(Dictionary<string, AttributeValue> item) => new()
    {
        [Attr.SearchPrefix] = item[Attr.SearchPrefix],
        [Attr.SearchTerm] = item[Attr.SearchTerm],
    };

    private async Task<Dictionary<string, Product>> GetProductsAsync(List<string> skus, CancellationToken ct)
    {
        var products = new Dictionary<string, Product>(StringComparer.Ordinal);
        if (skus.Count == 0)
        {
            return products;
        }

        var keys = skus.Select(Storage.Items.ProductKey).ToList();
        for (var attempt = 0; keys.Count > 0; attempt++)
        {
            if (attempt > 0)
            {
                // Unprocessed keys mean the table is busy: back off before asking for them again.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(320, 10 << Math.Min(attempt, 5)) * Random.Shared.NextDouble()), ct);
            }

            var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
            {
                RequestItems = new() { [storage.ProductsTable] = new KeysAndAttributes { Keys = keys, ConsistentRead = true } },
            }, ct);
            foreach (var item in response.Responses?.GetValueOrDefault(storage.ProductsTable) ?? [])
            {
                var product = Storage.Items.ToProduct(item);
                products[product.Sku] = product;
            }

            keys = response.UnprocessedKeys?.GetValueOrDefault(storage.ProductsTable)?.Keys ?? [];
        }

        return products;
    }

    private async Task PutAllAsync(List<Dictionary<string, AttributeValue>> items, CancellationToken ct)
    {
        // A few batches at a time: a backfill writes several items per product.
        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (chunk, ct) =>
        {
            var pending = chunk.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } }).ToList();
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(320, 10 << Math.Min(attempt, 5)) * Random.Shared.NextDouble()), ct);
                }

                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest
                {
                    RequestItems = new() { [storage.ProductSearchTable] = pending },
                }, ct);
                pending = response.UnprocessedItems?.GetValueOrDefault(storage.ProductSearchTable) ?? [];
            }
        });
    }
}
