using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Inventory.Api.Storage;

/// <summary>Reads that take more than one DynamoDB request: every page of a query, every chunk of a batch get.</summary>
public static class Reads
{
    /// <summary>DynamoDB's limit on keys per BatchGetItem request.</summary>
    private const int MaxKeysPerRequest = 100;

    /// <summary>
    /// The items found, in no particular order; missing keys are simply absent. Keys DynamoDB leaves
    /// unprocessed (throttling) are asked for again after a short, growing pause.
    /// </summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> BatchGetAllAsync(
        IAmazonDynamoDB dynamo, string table, IReadOnlyList<Dictionary<string, AttributeValue>> keys, CancellationToken ct)
    {
        var found = new List<Dictionary<string, AttributeValue>>(keys.Count);
        foreach (var chunk in keys.Chunk(MaxKeysPerRequest))
        {
            var pending = chunk.ToList();
            for (var round = 0; pending.Count > 0; round++)
            {
                var response = await dynamo.BatchGetItemAsync(new BatchGetItemRequest
                {
                    RequestItems = new Dictionary<string, KeysAndAttributes>
                    {
                        [table] = new KeysAndAttributes { Keys = pending, ConsistentRead = true },
                    },
                }, ct);
                found.AddRange(response.Responses?.GetValueOrDefault(table) ?? []);
                pending = response.UnprocessedKeys?.GetValueOrDefault(table)?.Keys ?? [];
                if (pending.Count > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500, 20 << Math.Min(round, 5))), ct);
                }
            }
        }

        return found;
    }

    /// <summary>Every item the query matches, page after page, so a caller holds one page at a time at most.</summary>
    public static async IAsyncEnumerable<Dictionary<string, AttributeValue>> QueryAllAsync(
        IAmazonDynamoDB dynamo, QueryRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        do
        {
            var page = await dynamo.QueryAsync(request, ct);
            foreach (var item in page.Items ?? [])
            {
                yield return item;
            }

            request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);
    }
}
