using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record ReservationPage(IReadOnlyList<Reservation> Reservations, string? NextToken);

/// <summary>The reservation records: reading and listing them, and the actions that create, extend and finish them.</summary>
public sealed class ReservationRecords(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    private readonly StorageOptions storage = options.Value;

    public string Table => storage.ReservationsTable;

    /// <summary>A hold by its product and id, wherever it is kept: under the product, or under a hot row's sub-row (through its claim).</summary>
    public async Task<Reservation?> GetAsync(string productId, string reservationId, CancellationToken ct)
    {
        if (await GetItemAsync(Items.ReservationKey(productId, reservationId), ct) is { } item)
        {
            return Items.ToReservation(item);
        }

        // Only a miss pays for the claim: holds on rows that are not hot are found by the first read.
        return await HeldOnAsync(productId, reservationId, ct) is { } heldOn
            && await GetItemAsync(Items.ReservationKey(heldOn, reservationId), ct) is { } onSubRow
            ? Items.ToReservation(onSubRow)
            : null;
    }

    /// <summary>Where a hot row's hold is kept, from its claim; null if the id has no claim.</summary>
    public async Task<string?> HeldOnAsync(string productId, string reservationId, CancellationToken ct) =>
        await GetItemAsync(Items.HoldClaimKey(productId, reservationId), ct) is { } claim ? Items.Str(claim, Attr.HeldOn) : null;

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(Dictionary<string, AttributeValue> key, CancellationToken ct)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest { TableName = storage.ReservationsTable, Key = key, ConsistentRead = true }, ct);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>
    /// The claim of a hold on a hot row: one item per (product, reservation id), written with the hold, so the same id
    /// is held once whichever sub-row it lands on, and found again by its id. It lives as long as the record would.
    /// Answers the existing claim when the id is taken.
    /// </summary>
    public TransactWriteItem Claim(Reservation reservation) => new()
    {
        Put = new Put
        {
            TableName = storage.ReservationsTable,
            Item = ClaimItem(reservation),
            ConditionExpression = "attribute_not_exists(#p)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        },
    };

    /// <summary>
    /// The claim item of a hold: where its record is kept, for as long as the record is. Written over an older claim of
    /// the same id when a row is marked hot (<see cref="HotRows.SpreadAsync"/>): that one's hold ended before this one
    /// was made.
    /// </summary>
    public Dictionary<string, AttributeValue> ClaimItem(Reservation reservation)
    {
        var item = Items.HoldClaimKey(reservation.ProductId, reservation.ReservationId);
        item[Attr.HeldOn] = Items.S(reservation.RowKey);
        item[Attr.ReservationExpiry] = Items.N(reservation.ExpiresAt.AddHours(storage.ReservationRetentionHours).AddDays(1).ToUnixTimeSeconds());
        return item;
    }

    /// <summary>Every hold kept under this product key, in any warehouse and state (the ended ones until their retention runs out): a consistent read, page after page.</summary>
    public IAsyncEnumerable<Reservation> KeptUnderAsync(string rowKey, CancellationToken ct) =>
        Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = storage.ReservationsTable,
            KeyConditionExpression = "#p = :p",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":p"] = Items.S(rowKey) },
            ConsistentRead = true,
        }, ct).Select(Items.ToReservation);

    /// <summary>A new ACTIVE hold, only if its (product, reservation id) is unused; the existing one comes back otherwise.</summary>
    public TransactWriteItem Create(Reservation reservation)
    {
        var item = Items.ReservationKey(reservation.RowKey, reservation.ReservationId);
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
            Key = Items.ReservationKey(reservation.RowKey, reservation.ReservationId),
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
    /// (<see cref="Reservation.BelongsTo"/>). <paramref name="recordKey"/> is where the record is kept
    /// (<see cref="Reservation.RowKey"/>). Answers the record as it is now; on a failed condition, as it was.
    /// Times compare as their fixed-width UTC text.
    /// </summary>
    public UpdateItemRequest Extend(string recordKey, string reservationId, DateTimeOffset now, DateTimeOffset expiresAt, Actor by)
    {
        var request = new UpdateItemRequest
        {
            TableName = storage.ReservationsTable,
            Key = Items.ReservationKey(recordKey, reservationId),
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

    /// <summary>
    /// A product's reservations in reservation id order, for the admin panel. With a status only those are
    /// returned, filtered after the read, so such a page may hold fewer than <paramref name="limit"/>.
    /// </summary>
    public async Task<ReservationPage> ListAsync(
        string productId, ReservationStatus? status, int limit, string? nextToken, CancellationToken ct)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "#p = :p",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":p"] = Items.S(productId) },
            Limit = limit,
            ConsistentRead = true,
            ExclusiveStartKey = PageToken.Decode(nextToken, (Attr.ProductId, productId), (Attr.ReservationId, null)),
        };
        if (status is { } wanted)
        {
            request.FilterExpression = "#st = :st";
            request.ExpressionAttributeNames["#st"] = Attr.Status;
            request.ExpressionAttributeValues[":st"] = Items.S(wanted.ToString());
        }

        var response = await dynamo.QueryAsync(request, ct);
        return new ReservationPage((response.Items ?? []).Select(Items.ToReservation).ToList(), PageToken.Encode(response.LastEvaluatedKey));
    }
}
