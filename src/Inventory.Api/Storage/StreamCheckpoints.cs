using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// How far the local stream reader has handled each shard of the inventory table's stream, kept in the alerts table
/// under its own partition, so a restart (or a kill) resumes after the last handled record instead of from the start.
/// Records handled again after a crash write nothing twice (the projections: <c>IChangeConsumer</c>).
/// </summary>
public sealed class StreamCheckpoints(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider clock)
{
    private const string Partition = "stream-checkpoints";

    /// <summary>
    /// Records older than this are gone from the stream (24 hours), so a checkpoint saved longer ago names none that is
    /// left: the reader starts at the oldest record kept instead. Resuming after it could blind the reader, since
    /// DynamoDB Local, started again on its data after 30 hours without a write, numbers new records from 1 again
    /// in the same shard, all "before" the checkpoint.
    /// </summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    private readonly string table = options.Value.AlertsTable;

    /// <summary>The last handled sequence number of the shard, or null to start at the oldest record kept.</summary>
    public async Task<string?> GetAsync(string shardId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Key(shardId), ConsistentRead = true }, ct);
        if (response.Item is not { Count: > 0 } item || !item.ContainsKey(Attr.UpdatedAt)
            || clock.GetUtcNow() - Items.Timestamp(item, Attr.UpdatedAt) > Retention)
        {
            return null; // none, or one older than every record left (handling records again writes nothing twice)
        }

        return Items.Str(item, Attr.SequenceNumber);
    }

    public async Task SaveAsync(string shardId, string sequenceNumber, CancellationToken ct)
    {
        var item = Key(shardId);
        item[Attr.SequenceNumber] = Items.S(sequenceNumber);
        item[Attr.UpdatedAt] = Items.Time(clock.GetUtcNow());
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = item }, ct);
    }

    /// <summary>The key joins the stream and the shard: a table re-created with a new stream starts afresh.</summary>
    private static Dictionary<string, AttributeValue> Key(string shardId) => new()
    {
        [Attr.AlertStream] = Items.S(Partition),
        [Attr.AlertSortKey] = Items.S(shardId),
    };
}
