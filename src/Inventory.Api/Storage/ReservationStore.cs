using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record ReserveItem(string ProductId, string? WarehouseId, long Quantity);

public sealed record ReservationResult(IReadOnlyList<Reservation> Reservations, bool Replayed);

public sealed record ReservationPage(IReadOnlyList<Reservation> Reservations, string? NextToken);

/// <summary>
/// Holds: taking, replaying, extending, releasing and listing them. Each write is one transaction over the stock
/// rows (<see cref="StockRows"/>) and the reservation records (<see cref="ReservationRecords"/>). Sales are in
/// <see cref="SalesStore"/>, expiry in <see cref="HoldExpiry"/>.
/// </summary>
public sealed class ReservationStore(
    IAmazonDynamoDB dynamo, Writes writes, InventoryStore inventory, StockRows rows, ReservationRecords records, HoldExpiry expiry,
    TimeProvider clock)
{
    /// <summary>Warehouse choice can race with other writers; re-choose this many times before answering "short".</summary>
    private const int ResolveAttempts = 3;

    /// <summary>The hold, if there is one that <paramref name="by"/> may see (<see cref="Reservation.BelongsTo"/>).</summary>
    public async Task<Reservation?> GetAsync(string productId, string reservationId, Actor by, CancellationToken ct) =>
        await records.GetAsync(productId, reservationId, ct) is { } hold && hold.BelongsTo(by) ? hold : null;

    /// <summary>
    /// A product's reservations in reservation id order, for the admin panel. With a status only those are
    /// returned, filtered after the read, so such a page may hold fewer than <paramref name="limit"/>.
    /// </summary>
    public async Task<ReservationPage> ListAsync(
        string productId, ReservationStatus? status, int limit, string? nextToken, CancellationToken ct)
    {
        var request = new QueryRequest
        {
            TableName = records.Table,
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

    /// <summary>
    /// Holds every item or none. Each item adds two actions (the stock row's conditional increment and the
    /// reservation record's create-if-absent), so the same reservation id replayed finds its records and
    /// returns them instead of holding twice.
    /// <para>
    /// <paramref name="outcomeRecord"/>, when given, builds one more record that commits in the same transaction
    /// (a processed-order record: the outbox of the order service's answer). If that record already exists,
    /// nothing is held and the result is an empty replay: the caller reads the outcome it recorded before.
    /// </para>
    /// </summary>
    public async Task<ReservationResult> ReserveAsync(
        string reservationId, IReadOnlyList<ReserveItem> items, int ttlSeconds, Actor by, CancellationToken ct,
        Func<IReadOnlyList<Reservation>, TransactWriteItem>? outcomeRecord = null)
    {
        var actionCount = (items.Count * 2) + (outcomeRecord is null ? 0 : 1);
        if (actionCount > Transaction.MaxActions)
        {
            throw Problems.TooManyItems(actionCount, Transaction.MaxActions);
        }

        var fingerprint = Fingerprint.Of(
            "reserve", ttlSeconds,
            string.Join(';', items.OrderBy(i => i.ProductId, StringComparer.Ordinal).Select(i => $"{i.ProductId}@{i.WarehouseId}x{i.Quantity}")));

        var reclaimed = false;
        for (var attempt = 1; ; attempt++)
        {
            List<ReserveItem> resolved;
            try
            {
                resolved = await inventory.ResolveWarehousesAsync(items, ct);
            }
            catch (InventoryException e) when (e.Code == "insufficient_stock")
            {
                // A replay after the stock ran out must still find its reservation, not be refused.
                if (await records.GetAsync(items[0].ProductId, reservationId, ct) is { } existing)
                {
                    return await ReplayAsync(existing, reservationId, items, fingerprint, by, ct);
                }

                if (!reclaimed && await expiry.ReclaimAsync(items.Select(i => i.ProductId), ct))
                {
                    reclaimed = true;
                    continue;
                }

                throw;
            }

            var now = clock.UtcNowMillis();
            var holds = resolved
                .Select(i => new Reservation(i.ProductId, reservationId, i.WarehouseId!, i.Quantity, ReservationStatus.ACTIVE,
                    now, now.AddSeconds(ttlSeconds), fingerprint, HeldBy: by.KeyId))
                .ToList();

            var transaction = new Transaction();
            var steps = holds.Select(h => (
                Hold: h,
                Row: transaction.Add(rows.TakeHold(h.ProductId, h.WarehouseId, h.Quantity, now, new MoveCause(MoveKind.HOLD, by, Reference: reservationId))),
                Record: transaction.Add(records.Create(h)))).ToList();
            var outcomeStep = outcomeRecord is null ? (ActionHandle?)null : transaction.Add(outcomeRecord(holds));

            var outcome = await writes.CommitAsync(transaction, ct);
            if (outcome.IsCommitted)
            {
                return new ReservationResult(holds, Replayed: false);
            }

            if (outcomeStep is { } answered && outcome.Failed(answered))
            {
                return new ReservationResult([], Replayed: true);
            }

            // A reservation record that already exists means this is a replay (or a reused id).
            if (steps.FirstOrDefault(s => outcome.Failed(s.Record)) is { Hold: not null } repeat)
            {
                return await ReplayAsync(Items.ToReservation(outcome.OldItem(repeat.Record)!), reservationId, items, fingerprint, by, ct);
            }

            var shortages = new List<ItemShortage>();
            var choseWarehouse = false;
            foreach (var (step, item) in steps.Zip(items))
            {
                if (!outcome.Failed(step.Row))
                {
                    continue;
                }

                var old = outcome.OldItem(step.Row) ?? throw await inventory.MissingRowProblemAsync(item.ProductId, step.Hold.WarehouseId, ct);
                choseWarehouse |= item.WarehouseId is null;
                shortages.Add(new ItemShortage(item.ProductId, step.Hold.WarehouseId, item.Quantity, Items.ToRow(old).AvailableCount, "insufficient_stock"));
            }

            if (choseWarehouse && attempt < ResolveAttempts)
            {
                continue;
            }

            if (!reclaimed && await expiry.ReclaimAsync(shortages.Select(x => x.ProductId), ct))
            {
                reclaimed = true;
                continue;
            }

            throw Problems.Shortage(shortages);
        }
    }

    /// <summary>
    /// Keeps a hold alive until at least <paramref name="ttlSeconds"/> from now (a shopper still in checkout).
    /// It never shortens a hold, so repeating it changes nothing more. One conditional update carries every rule
    /// (active, not yet expired, the caller's own, later than now): when it does not apply, the record as it was
    /// says why, or that the hold already lasts long enough.
    /// </summary>
    public async Task<Reservation> ExtendAsync(string productId, string reservationId, int ttlSeconds, Actor by, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        Dictionary<string, AttributeValue>? seen = null;
        var extended = await writes.UpdateAsync(
            records.Extend(productId, reservationId, now, now.AddSeconds(ttlSeconds), by), failed => seen = failed.Item, ct);
        if (extended is not null)
        {
            return Items.ToReservation(extended.Attributes);
        }

        var hold = seen is { Count: > 0 } ? Items.ToReservation(seen) : null;
        if (hold is null || !hold.BelongsTo(by))
        {
            throw Problems.ReservationNotFound(productId, reservationId);
        }

        hold.EnsureExtendable(now);
        return hold;
    }

    /// <summary>Gives a hold's units back. Releasing twice, or releasing an expired hold, is a no-op.</summary>
    public async Task ReleaseAsync(string productId, string reservationId, Actor by, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var hold = await GetAsync(productId, reservationId, by, ct) ?? throw Problems.ReservationNotFound(productId, reservationId);
            if (!hold.NeedsRelease())
            {
                return;
            }

            var now = clock.UtcNowMillis();
            var transaction = new Transaction();
            var finish = transaction.Add(records.Finish(hold, ReservationStatus.RELEASED, now));
            transaction.Add(rows.ReturnHold(hold.ProductId, hold.WarehouseId, hold.Quantity, now, new MoveCause(MoveKind.RELEASE, by, Reference: reservationId)));
            var outcome = await writes.CommitAsync(transaction, ct);
            if (outcome.IsCommitted)
            {
                return;
            }

            if (!outcome.Failed(finish) || attempt >= ResolveAttempts)
            {
                // The record was ACTIVE but its row holds fewer units than it: the invariant is broken.
                throw new InvalidOperationException(
                    $"Row {productId}/{hold.WarehouseId} holds fewer reserved units than active reservation {reservationId}.");
            }

            // Someone else finished the reservation between our read and write: answer from its new state.
        }
    }

    private async Task<ReservationResult> ReplayAsync(
        Reservation existing, string reservationId, IReadOnlyList<ReserveItem> items, string fingerprint, Actor by, CancellationToken ct)
    {
        // Another key's reservation id is not a replay of this request, even with the same items.
        if (existing.RequestFingerprint != fingerprint || !existing.BelongsTo(by))
        {
            throw Problems.IdempotencyConflict(reservationId);
        }

        // Records of one request are written together, so the others exist too.
        var all = (await Task.WhenAll(items.Select(item => records.GetAsync(item.ProductId, reservationId, ct)))).OfType<Reservation>().ToList();
        return new ReservationResult(all, Replayed: true);
    }
}
