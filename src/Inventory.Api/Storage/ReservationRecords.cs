using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>The reservation records: reading one, and the actions that create, extend and finish them.</summary>
public sealed class ReservationRecords(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private readonly StorageOptions storage = options.Value;

    public string Table => storage.ReservationsTable;

    public async Task<Reservation?> GetAsync(string productId, string reservationId, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = storage.ReservationsTable,
            Key = Items.ReservationKey(productId, reservationId),
            ConsistentRead = true,
        }, ct);
        return response.Item is { Count: > 0 } item ? Items.ToReservation(item) : null;
    }

    /// <summary>A new ACTIVE hold, only if its (product, reservation id) is unused; the existing one comes back otherwise.</summary>
    public TransactWriteItem Create(Reservation reservation)
    {
        var item = Items.ReservationKey(reservation.ProductId, reservation.ReservationId);
        item[Attr.WarehouseId] = Items.S(reservation.WarehouseId);
        item[Attr.Quantity] = Items.N(reservation.Quantity);
        item[Attr.Status] = Items.S(nameof(ReservationStatus.ACTIVE));
        item[Attr.CreatedAt] = Items.Time(reservation.CreatedAt);
        item[Attr.ExpiresAt] = Items.Time(reservation.ExpiresAt);
        item[Attr.ExpiresAtEpoch] = Items.N(reservation.ExpiresAt.ToUnixTimeSeconds());
        item[Attr.ActiveShard] = Items.S(ActiveShardOf());
        item[Attr.ReservationExpiry] = Items.N(reservation.ExpiresAt.AddHours(storage.ReservationRetentionHours).ToUnixTimeSeconds());
        item[Attr.Fingerprint] = Items.S(reservation.RequestFingerprint);
        if (reservation.HeldBy is not null)
        {
            item[Attr.HeldBy] = Items.S(reservation.HeldBy);
        }

        return new TransactWriteItem
        {
            Put = new Put
            {
                TableName = storage.ReservationsTable,
                Item = item,
                ConditionExpression = "attribute_not_exists(#p)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            },
        };
    }

    /// <summary>Moves an ACTIVE hold to a final state and drops it from the active-expiry index.</summary>
    public TransactWriteItem Finish(Reservation reservation, ReservationStatus final, DateTimeOffset now) => new()
    {
        Update = new Update
        {
            TableName = storage.ReservationsTable,
            Key = Items.ReservationKey(reservation.ProductId, reservation.ReservationId),
            UpdateExpression = "SET #st = :final, #fa = :now REMOVE #shard",
            ConditionExpression = "#st = :active",
            ExpressionAttributeNames = new Dictionary<string, string>
            {
                ["#st"] = Attr.Status,
                ["#fa"] = Attr.FinishedAt,
                ["#shard"] = Attr.ActiveShard,
            },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":final"] = Items.S(final.ToString()),
                [":active"] = Items.S(nameof(ReservationStatus.ACTIVE)),
                [":now"] = Items.Time(now),
            },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        },
    };

    /// <summary>Expires a hold only while it is ACTIVE and still due, so an extension that lands first wins.</summary>
    public TransactWriteItem Expire(Reservation reservation, DateTimeOffset now)
    {
        var finish = Finish(reservation, ReservationStatus.EXPIRED, now);
        finish.Update.ConditionExpression += " AND #exp <= :nowEpoch";
        finish.Update.ExpressionAttributeNames["#exp"] = Attr.ExpiresAtEpoch;
        finish.Update.ExpressionAttributeValues[":nowEpoch"] = Items.N(now.ToUnixTimeSeconds());
        return finish;
    }

    /// <summary>
    /// Moves an ACTIVE hold's end to <paramref name="expiresAt"/>, only while it has not expired at
    /// <paramref name="now"/>, only later (never shorter), and only for a caller the hold belongs to
    /// (<see cref="Reservation.BelongsTo"/>). Answers the record as it is now; on a failed condition, as it was.
    /// Times compare as their fixed-width UTC text.
    /// </summary>
    public UpdateItemRequest Extend(string productId, string reservationId, DateTimeOffset now, DateTimeOffset expiresAt, Actor by)
    {
        var request = new UpdateItemRequest
        {
            TableName = storage.ReservationsTable,
            Key = Items.ReservationKey(productId, reservationId),
            UpdateExpression = "SET #ea = :ea, #exp = :exp, #ttl = :ttl",
            ConditionExpression = "#st = :active AND #ea > :now AND #ea < :ea",
            ExpressionAttributeNames = new Dictionary<string, string>
            {
                ["#ea"] = Attr.ExpiresAt,
                ["#exp"] = Attr.ExpiresAtEpoch,
                ["#ttl"] = Attr.ReservationExpiry,
                ["#st"] = Attr.Status,
            },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":ea"] = Items.Time(expiresAt),
                [":exp"] = Items.N(expiresAt.ToUnixTimeSeconds()),
                [":ttl"] = Items.N(expiresAt.AddHours(storage.ReservationRetentionHours).ToUnixTimeSeconds()),
                [":active"] = Items.S(nameof(ReservationStatus.ACTIVE)),
                [":now"] = Items.Time(now),
            },
            ReturnValues = ReturnValue.ALL_NEW,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
        if (!by.ActsForAnyone)
        {
            request.ExpressionAttributeNames["#hb"] = Attr.HeldBy;
            request.ConditionExpression += by.KeyId is null ? " AND attribute_not_exists(#hb)" : " AND (attribute_not_exists(#hb) OR #hb = :hb)";
            if (by.KeyId is not null)
            {
                request.ExpressionAttributeValues[":hb"] = Items.S(by.KeyId);
            }
        }

        return request;
    }

    /// <summary>Chosen once, when the hold is created, so a random spread is all that is needed.</summary>
    private static string ActiveShardOf() => "A" + Random.Shared.Next(Indexes.ActiveShards);
}
