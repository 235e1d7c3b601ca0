using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// How far the local stream reader has handled each shard of the inventory table's stream, kept in the alerts table
/// under its own partition, so a restart (or a kill) resumes after the last handled record instead of from the start.
/// Records handled again after a crash write nothing twice (<see cref="StatusTransitions"/>).
/// </summary>
public sealed class StreamCheckpoints(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private const string Partition = "stream-checkpoints";

    private readonly string table = options.Value.AlertsTable;

    public async Task<string?> GetAsync(string shardId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(shardId), ConsistentRead = true }, ct);
        return response.Item is { Count: > 0 } item ? Items.Str(item, Attr.SequenceNumber) : null;
    }

    public async Task SaveAsync(string shardId, string sequenceNumber, CancellationToken ct)
    {
        var item = Key(shardId);
        item[Attr.SequenceNumber] = Items.S(sequenceNumber);
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = item }, ct);
    }

    /// <summary>The key joins the stream and the shard: a table re-created with a new stream starts afresh.</summary>
    private static Dictionary<string, AttributeValue> Key(string shardId) => new()
    {
        [Attr.AlertStream] = Items.S(Partition),
        [Attr.AlertSortKey] = Items.S(shardId),
    };
}
