using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>A remembered request: its key, what it asked for, and the answer it got.</summary>
public sealed record IdempotencyRecord(string Key, string Fingerprint, string ResultJson, DateTimeOffset CreatedAt);

/// <summary>
/// What the idempotency record of a request made again says: the same request (<paramref name="Answer"/> is what it was
/// answered the first time) or another one under the same id (no answer: it must be refused).
/// </summary>
public sealed record Repeat<T>(bool SameRequest, T? Answer, DateTimeOffset FirstAt) where T : class;

/// <summary>
/// The one idempotency mechanism of the writes that take a client's id (adjustments, transfers, sales, import lines):
/// a record keyed by the kind of write and the client's id, holding the request's fingerprint and its answer, written
/// in the same transaction as the change it guards, so "the change happened" and "the id is used" can never disagree,
/// even across a crash. <see cref="For{T}"/> gives a write its guard.
/// </summary>
public sealed class IdempotencyRecords(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, TimeProvider clock)
{
    private readonly StorageOptions storage = options.Value;

    /// <summary>The replay answers' serializers, from storage's own JSON context.</summary>
    internal static RecordJsonContext Json => RecordJsonContext.Default;

    /// <summary>
    /// The record key of one operation: its kind, then each part prefixed with its length, so ids that contain
    /// the separator can never make two different operations share a key ("adjust:1#P:4#x:k1").
    /// </summary>
    public static string KeyOf(string kind, params string[] parts) =>
        kind + string.Concat(parts.Select(p => $":{p.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}#{p}"));

    /// <summary>The guard of one write: the client's id (named in a refusal), the record's key, what the request asked for.</summary>
    public IdempotentWrite<T> For<T>(string clientId, string key, string fingerprint, JsonTypeInfo<T> answer) where T : class =>
        new(this, clientId, key, fingerprint, answer);

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

/// <summary>
/// One write's idempotency: the record that commits with it (<see cref="Record"/>), and, when the write did not commit
/// or before it is tried, whether this request was made before (<see cref="RepeatIn"/>, <see cref="FindAsync"/>) and
/// the one refusal of another request under the same id (<see cref="AnswerOf"/>).
/// </summary>
public sealed class IdempotentWrite<T> where T : class
{
    private readonly IdempotencyRecords records;
    private readonly string key;
    private readonly string fingerprint;
    private readonly JsonTypeInfo<T> answer;

    internal IdempotentWrite(IdempotencyRecords records, string clientId, string key, string fingerprint, JsonTypeInfo<T> answer) =>
        (this.records, ClientId, this.key, this.fingerprint, this.answer) = (records, clientId, key, fingerprint, answer);

    /// <summary>The id the client sent (an Idempotency-Key, an order id, a transfer id, an import's id and line).</summary>
    public string ClientId { get; }

    /// <summary>The record to add to the write's transaction, with the answer a repeat will get.</summary>
    public TransactWriteItem Record(T first) => records.PutAction(key, fingerprint, JsonSerializer.Serialize(first, answer));

    /// <summary>The earlier request, when the transaction failed on this write's record (null: the record did not exist).</summary>
    public Repeat<T>? RepeatIn(TransactionOutcome outcome, ActionHandle record) =>
        outcome.OldItem(record) is { } item ? RepeatOf(IdempotencyRecords.ToRecord(item)) : null;

    /// <summary>The earlier request under this id, read strongly consistent; null if there was none.</summary>
    public async Task<Repeat<T>?> FindAsync(CancellationToken ct) =>
        await records.GetAsync(key, ct) is { } stored ? RepeatOf(stored) : null;

    /// <summary>The first answer of the same request again; another request under the same id is refused (409).</summary>
    public T AnswerOf(Repeat<T> repeat) => repeat.SameRequest ? repeat.Answer! : throw Problems.IdempotencyConflict(ClientId);

    /// <summary>What a stored record says about this request.</summary>
    public Repeat<T> RepeatOf(IdempotencyRecord stored) => stored.Fingerprint == fingerprint
        ? new Repeat<T>(true, JsonSerializer.Deserialize(stored.ResultJson, answer), stored.CreatedAt)
        : new Repeat<T>(false, null, stored.CreatedAt);
}
