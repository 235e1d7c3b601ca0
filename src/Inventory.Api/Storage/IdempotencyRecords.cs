using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>A remembered request: its key, what it asked for, and the answer it got.</summary>
public sealed record IdempotencyRecord(string Key, string Fingerprint, string ResultJson, DateTimeOffset CreatedAt);

/// <summary>
/// Idempotency keys and processed orders. A record is written in the same transaction as the change it
/// guards, so "the change happened" and "the key is used" can never disagree, even across a crash.
/// </summary>
public sealed class IdempotencyRecords(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider clock)
{
    private readonly StorageOptions storage = options.Value;

    /// <summary>
    /// The record key of one operation: its kind, then each part prefixed with its length, so ids that contain
    /// the separator can never make two different operations share a key ("adjust:1#P:4#x:k1").
    /// </summary>
    public static string KeyOf(string kind, params string[] parts) =>
        kind + string.Concat(parts.Select(p => $":{p.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}#{p}"));

    public TransactWriteItem PutAction(string key, string fingerprint, string resultJson)
    {
        var now = clock.UtcNowMillis();
        return new TransactWriteItem
        {
            Put = new Put
            {
                TableName = storage.IdempotencyTable,
                Item = new Dictionary<string, AttributeValue>
                {
                    [Attr.IdempotencyKey] = Items.S(key),
                    [Attr.Fingerprint] = Items.S(fingerprint),
                    [Attr.Result] = Items.S(resultJson),
                    [Attr.CreatedAt] = Items.Time(now),
                    [Attr.Ttl] = Items.N(now.AddHours(storage.IdempotencyRetentionHours).ToUnixTimeSeconds()),
                },
                ConditionExpression = "attribute_not_exists(#k)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#k"] = Attr.IdempotencyKey },
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            },
        };
    }

    public async Task<IdempotencyRecord?> GetAsync(string key, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = storage.IdempotencyTable,
            Key = Items.IdempotencyKey(key),
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item ? ToRecord(item) : null;
    }

    public static IdempotencyRecord ToRecord(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.IdempotencyKey)!,
        Items.Str(item, Attr.Fingerprint)!,
        Items.Str(item, Attr.Result)!,
        DateTimeOffset.Parse(Items.Str(item, Attr.CreatedAt)!, System.Globalization.CultureInfo.InvariantCulture));
}
