using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Security;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public enum Revocation
{
    Revoked,
    NotFound,

    /// <summary>The admin key that had to stay active was revoked meanwhile; nothing changed.</summary>
    KeptKeyRevoked,
}

/// <summary>The API key records: one item per key, keyed by its id, holding only the key's hash.</summary>
public sealed class ApiKeyStore(IAmazonDynamoDB dynamo, Writes writes, IOptions<StorageOptions> options)
{
    private readonly string? table = options.Value.ApiKeysTable;

    public bool IsConfigured => !string.IsNullOrEmpty(table);

    private string Table => IsConfigured ? table! : throw new InvalidOperationException("No API key table is configured.");

    public async Task<ApiKeyRecord?> GetAsync(string keyId, CancellationToken ct)
    {
        // Consistent, so a key works the moment its creation was answered.
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = Table, Key = KeyOf(keyId), ConsistentRead = true }, ct);
        return response.Item is { Count: > 0 } item ? Items.ToApiKey(item) : null;
    }

    /// <summary>Stores a new key; false when a key with that id exists already (then nothing changed).</summary>
    public async Task<bool> TryCreateAsync(ApiKeyRecord key, CancellationToken ct)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [Attr.KeyId] = Items.S(key.KeyId),
            [Attr.KeyHash] = Items.S(key.KeyHash),
            [Attr.Name] = Items.S(key.Name),
            [Attr.Scope] = Items.S(key.Scope?.ToString() ?? throw new ArgumentException("A new key needs a scope.", nameof(key))),
            [Attr.CreatedAt] = Items.Time(key.CreatedAt),
        };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = Table,
                Item = item,
                ConditionExpression = "attribute_not_exists(#id)",
                ExpressionAttributeNames = new() { ["#id"] = Attr.KeyId },
            }, ct);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>Every key, active and revoked. The table holds a handful of keys per client, so a scan is the right tool.</summary>
    public async Task<List<ApiKeyRecord>> ListAsync(CancellationToken ct)
    {
        var keys = new List<ApiKeyRecord>();
        var request = new ScanRequest { TableName = Table, ConsistentRead = true };
        do
        {
            var page = await dynamo.ScanAsync(request, ct);
            keys.AddRange((page.Items ?? []).Select(Items.ToApiKey));
            request.ExclusiveStartKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (request.ExclusiveStartKey is not null);

        return keys;
    }

    /// <summary>
    /// Marks the key revoked (the first revocation's time stays). With <paramref name="keptAdminKeyId"/>, only while
    /// that other key is still an active admin key, checked in the same transaction: two admins revoking each
    /// other's keys at the same moment cannot leave none.
    /// </summary>
    public async Task<Revocation> RevokeAsync(string keyId, DateTimeOffset now, string? keptAdminKeyId, CancellationToken ct)
    {
        var transaction = new Transaction();
        var revoke = transaction.Add(new TransactWriteItem
        {
            Update = new Update
            {
                TableName = Table,
                Key = KeyOf(keyId),
                UpdateExpression = "SET #revoked = if_not_exists(#revoked, :now)",
                ConditionExpression = "attribute_exists(#id)",
                ExpressionAttributeNames = new() { ["#revoked"] = Attr.RevokedAt, ["#id"] = Attr.KeyId },
                ExpressionAttributeValues = new() { [":now"] = Items.Time(now) },
            },
        });
        if (keptAdminKeyId is not null)
        {
            transaction.Add(new TransactWriteItem
            {
                ConditionCheck = new ConditionCheck
                {
                    TableName = Table,
                    Key = KeyOf(keptAdminKeyId),
                    ConditionExpression = "attribute_exists(#id) AND attribute_not_exists(#revoked) AND #scope = :admin",
                    ExpressionAttributeNames = new() { ["#id"] = Attr.KeyId, ["#revoked"] = Attr.RevokedAt, ["#scope"] = Attr.Scope },
                    ExpressionAttributeValues = new() { [":admin"] = Items.S(nameof(Scope.Admin)) },
                },
            });
        }

        var outcome = await writes.CommitAsync(transaction, ct);
        return outcome.IsCommitted ? Revocation.Revoked : outcome.Failed(revoke) ? Revocation.NotFound : Revocation.KeptKeyRevoked;
    }

    private static Dictionary<string, AttributeValue> KeyOf(string keyId) => new() { [Attr.KeyId] = Items.S(keyId) };
}
