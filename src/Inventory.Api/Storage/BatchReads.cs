using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Inventory.Api.Storage;

/// <summary>Strongly consistent BatchGetItem over any number of keys of one table.</summary>
public static class BatchReads
{
    /// <summary>DynamoDB's limit on keys per BatchGetItem request.</summary>
    private const int MaxKeysPerRequest = 100;

    /// <summary>
    /// The items found, in no particular order; missing keys are simply absent. Keys DynamoDB leaves
    /// unprocessed (throttling) are asked for again after a short, growing pause.
    /// </summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> GetAllAsync(
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
}
