using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record ReserveItem(string ProductId, string? WarehouseId, long Quantity);

public sealed record ReservationResult(IReadOnlyList<Reservation> Reservations, bool Replayed);

public sealed record ReservationPage(IReadOnlyList<Reservation> Reservations, string? NextToken);

public sealed record FulfilLine(string ProductId, string? ReservationId, long? Quantity, string? WarehouseId);

public sealed record FulfilledLine(string ProductId, string WarehouseId, long Quantity, string? ReservationId);

public sealed record FulfilmentResult(string OrderId, IReadOnlyList<FulfilledLine> Lines, DateTimeOffset FulfilledAt, bool Replayed);

/// <summary>Holds, releases and sales: every one a single transaction over the stock rows and the records it touches.</summary>
public sealed class ReservationStore(
    IAmazonDynamoDB dynamo, Writes writes, InventoryStore inventory, IdempotencyRecords idempotency, StatusReconciler reconciler,
    IOptions<StorageOptions> options, TimeProvider clock)
{
    /// <summary>DynamoDB's ceiling on the actions of one TransactWriteItems call.</summary>
    public const int MaxTransactionActions = 100;

    /// <summary>Warehouse choice can race with other writers; re-choose this many times before answering "short".</summary>
    private const int ResolveAttempts = 3;

    /// <summary>How many products one sweep expires at once; bounded so a sweep does not crowd out live traffic.</summary>
    private const int SweepParallelism = 8;

    private static readonly TimeSpan ReclaimInterval = TimeSpan.FromMilliseconds(250);

    private readonly StorageOptions storage = options.Value;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> lastReclaim = new(StringComparer.Ordinal);

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

    /// <summary>
    /// A product's reservations in reservation id order, for the admin panel. With a status only those are
    /// returned, filtered after the read, so such a page may hold fewer than <paramref name="limit"/>.
    /// </summary>
    public async Task<ReservationPage> ListAsync(
        string productId, ReservationStatus? status, int limit, string? nextToken, CancellationToken ct)
    {
        var start = PageToken.Decode(nextToken, (Attr.ProductId, productId), (Attr.ReservationId, null));

        var request = new QueryRequest
        {
            TableName = storage.ReservationsTable,
            KeyConditionExpression = "#p = :p",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":p"] = Items.S(productId) },
            Limit = limit,
            ConsistentRead = true,
            ExclusiveStartKey = start,
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
        string reservationId, IReadOnlyList<ReserveItem> items, int ttlSeconds, CancellationToken ct,
        Func<IReadOnlyList<Reservation>, TransactWriteItem>? outcomeRecord = null)
    {
        var actionCount = (items.Count * 2) + (outcomeRecord is null ? 0 : 1);
        if (actionCount > MaxTransactionActions)
        {
            throw Problems.TooManyItems(actionCount, MaxTransactionActions);
        }

        var fingerprint = Domain.Fingerprint.Of(
            "reserve", ttlSeconds,
            string.Join(';', items.OrderBy(i => i.ProductId, StringComparer.Ordinal).Select(i => $"{i.ProductId}@{i.WarehouseId}x{i.Quantity}")));

        var reclaimed = false;
        for (var attempt = 1; ; attempt++)
        {
            List<ReserveItem> resolved;
            try
            {
                resolved = await ResolveWarehousesAsync(items, ct);
            }
            catch (InventoryException e) when (e.Code == "insufficient_stock")
            {
                // A replay after the stock ran out must still find its reservation, not be refused.
                if (await GetAsync(items[0].ProductId, reservationId, ct) is { } existing)
                {
                    return await ReplayAsync(existing, reservationId, items, fingerprint, ct);
                }

                if (!reclaimed && await ReclaimExpiredAsync(items.Select(i => i.ProductId), ct))
                {
                    reclaimed = true;
                    continue;
                }

                throw;
            }

            var now = clock.UtcNowMillis();
            var reservations = resolved
                .Select(i => new Reservation(i.ProductId, reservationId, i.WarehouseId!, i.Quantity, ReservationStatus.ACTIVE,
                    now, now.AddSeconds(ttlSeconds), fingerprint))
                .ToList();

            var actions = new List<TransactWriteItem>(actionCount);
            foreach (var reservation in reservations)
            {
                actions.Add(MoveHoldAction(reservation, take: true, now));
                actions.Add(PutReservationAction(reservation));
            }

            if (outcomeRecord is not null)
            {
                actions.Add(outcomeRecord(reservations));
            }

            var reasons = await writes.TransactAsync(actions, ct);
            if (reasons is null)
            {
                await reconciler.AfterCommitAsync(reservations.Select(r => (r.ProductId, r.WarehouseId)));
                return new ReservationResult(reservations, Replayed: false);
            }

            if (outcomeRecord is not null && Writes.IsConditionFailure(reasons[^1]))
            {
                return new ReservationResult([], Replayed: true);
            }

            // A reservation record that already exists means this is a replay (or a reused id).
            for (var i = 0; i < reservations.Count; i++)
            {
                if (Writes.IsConditionFailure(reasons[(2 * i) + 1]))
                {
                    return await ReplayAsync(Items.ToReservation(reasons[(2 * i) + 1].Item), reservationId, items, fingerprint, ct);
                }
            }

            var shortages = new List<ItemShortage>();
            var choseWarehouse = false;
            for (var i = 0; i < reservations.Count; i++)
            {
                if (!Writes.IsConditionFailure(reasons[2 * i]))
                {
                    continue;
                }

                var item = items[i];
                if (reasons[2 * i].Item is not { Count: > 0 } old)
                {
                    throw await NotFoundAsync(item.ProductId, reservations[i].WarehouseId, ct);
                }

                choseWarehouse |= item.WarehouseId is null;
                shortages.Add(new ItemShortage(item.ProductId, reservations[i].WarehouseId, item.Quantity,
                    Items.ToRow(old).AvailableCount, "insufficient_stock"));
            }

            if (choseWarehouse && attempt < ResolveAttempts)
            {
                continue;
            }

            if (!reclaimed && await ReclaimExpiredAsync(shortages.Select(x => x.ProductId), ct))
            {
                reclaimed = true;
                continue;
            }

            throw ShortageProblem(shortages);
        }
    }

    /// <summary>
    /// Keeps a hold alive until at least <paramref name="ttlSeconds"/> from now (a shopper still in checkout).
    /// It never shortens a hold, so repeating it changes nothing more. A hold already past its time is refused:
    /// its units may already be on their way back.
    /// </summary>
    public async Task<Reservation> ExtendAsync(string productId, string reservationId, int ttlSeconds, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var hold = await GetAsync(productId, reservationId, ct) ?? throw Problems.ReservationNotFound(productId, reservationId);
            var now = clock.UtcNowMillis();
            if (hold.Status == ReservationStatus.EXPIRED || (hold.IsActive && hold.HasExpired(now)))
            {
                throw Problems.ReservationExpired(hold);
            }

            if (!hold.IsActive)
            {
                throw Problems.ReservationNotActive(hold);
            }

            var expiresAt = now.AddSeconds(ttlSeconds);
            if (expiresAt <= hold.ExpiresAt)
            {
                return hold;
            }

            var updated = await writes.UpdateAsync(new UpdateItemRequest
            {
                TableName = storage.ReservationsTable,
                Key = Items.ReservationKey(productId, reservationId),
                UpdateExpression = "SET #ea = :ea, #exp = :exp, #ttl = :ttl",
                ConditionExpression = "#st = :active AND #ea = :seen",
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
                    [":seen"] = Items.Time(hold.ExpiresAt),
                },
            }, onConditionFailed: null, ct);
            if (updated is not null)
            {
                return hold with { ExpiresAt = expiresAt };
            }

            if (attempt >= ResolveAttempts)
            {
                throw Problems.Busy();
            }

            // Sold, released, expired or extended meanwhile: answer from its new state.
        }
    }

    /// <summary>
    /// Ends a hold whose time is up, returning its units, if it is still ACTIVE and still past its time.
    /// The same condition guards a sale of the hold, so a hold that is sold while it expires ends in exactly
    /// one of FULFILLED or EXPIRED. Returns whether this call expired it.
    /// </summary>
    public async Task<bool> ExpireAsync(Reservation reservation, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        if (!reservation.IsActive || !reservation.HasExpired(now))
        {
            return false;
        }

        if (await writes.TransactAsync([ExpireAction(reservation, now), MoveHoldAction(reservation, take: false, now)], ct) is not null)
        {
            return false; // sold, released or expired by someone else first
        }

        await reconciler.AfterCommitAsync([(reservation.ProductId, reservation.WarehouseId)]);
        return true;
    }

    /// <summary>
    /// The sweep: expires every hold whose time is up, reading the sparse active-expiry index shard by shard.
    /// Safe to run twice at once or to stop half-way: each hold is expired by one conditional transaction.
    /// </summary>
    public async Task<int> ExpireDueAsync(CancellationToken ct)
    {
        var expired = 0;
        var dueKeys = await DueHoldKeysAsync(ct);

        // Products in parallel, each product's holds one batch after another: the holds of one product all
        // update the same row, and parallel transactions on one item would only cancel each other.
        var byProduct = dueKeys.GroupBy(k => k.ProductId, StringComparer.Ordinal);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = SweepParallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(byProduct, parallel, async (product, token) =>
            Interlocked.Add(ref expired, await ExpireHoldsAsync([.. product], token)));

        return expired;
    }

    /// <summary>
    /// Expires the given holds that are still ACTIVE and due. The holds of one row go in one transaction (each
    /// hold's conditional finish plus a single release of their total from the row), so a sweep costs one
    /// write per row, not one per abandoned cart. If any of them changed meanwhile (sold, released, extended)
    /// the transaction cancels as a whole and those holds are retried one by one.
    /// </summary>
    private async Task<int> ExpireHoldsAsync(List<(string ProductId, string ReservationId)> keys, CancellationToken ct)
    {
        // The index is eventually consistent: re-read the holds before acting on them.
        var now = clock.UtcNowMillis();
        var stored = await Reads.BatchGetAllAsync(
            dynamo, storage.ReservationsTable, keys.Select(k => Items.ReservationKey(k.ProductId, k.ReservationId)).ToList(), ct);
        var due = stored.Select(Items.ToReservation).Where(h => h.IsActive && h.HasExpired(now)).ToList();

        var expired = 0;
        foreach (var row in due.GroupBy(h => (h.ProductId, h.WarehouseId)))
        {
            foreach (var batch in row.Chunk(MaxTransactionActions - 1))
            {
                List<TransactWriteItem> actions = [.. batch.Select(h => ExpireAction(h, now))];
                actions.Add(MoveHoldAction(row.Key.ProductId, row.Key.WarehouseId, batch.Sum(h => h.Quantity), take: false, now));
                if (await writes.TransactAsync(actions, ct) is null)
                {
                    expired += batch.Length;
                    continue;
                }

                foreach (var hold in batch)
                {
                    expired += await ExpireAsync(hold, ct) ? 1 : 0;
                }
            }
        }

        if (expired > 0)
        {
            await reconciler.AfterCommitAsync(due.Select(h => (h.ProductId, h.WarehouseId)));
        }

        return expired;
    }

    /// <summary>Keys of ACTIVE holds whose time is up, from every shard of the sparse active-expiry index.</summary>
    private async Task<List<(string ProductId, string ReservationId)>> DueHoldKeysAsync(CancellationToken ct)
    {
        var nowEpoch = clock.UtcNowMillis().ToUnixTimeSeconds();
        var shards = await Task.WhenAll(Enumerable.Range(0, Indexes.ActiveShards).Select(shard =>
            Reads.QueryAllAsync(dynamo, new QueryRequest
            {
                TableName = storage.ReservationsTable,
                IndexName = Indexes.ActiveExpiry,
                KeyConditionExpression = "#shard = :shard AND #exp <= :now",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#shard"] = Attr.ActiveShard, ["#exp"] = Attr.ExpiresAtEpoch },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":shard"] = Items.S("A" + shard.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    [":now"] = Items.N(nowEpoch),
                },
            }, ct).Select(k => (k[Attr.ProductId].S, k[Attr.ReservationId].S)).ToListAsync(ct).AsTask()));
        return shards.SelectMany(k => k).ToList();
    }

    /// <summary>
    /// Before refusing for lack of stock, takes back the holds on these products whose time is up. It reads
    /// only the *due* entries of the active-expiry index (which the sweep keeps near empty), never a hot
    /// product's whole reservation history, so a flash sale's refusals stay cheap.
    /// </summary>
    private async Task<bool> ReclaimExpiredAsync(IEnumerable<string> productIds, CancellationToken ct)
    {
        var wanted = productIds.Where(ShouldLookForDueHolds).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return false;
        }

        var due = (await DueHoldKeysAsync(ct)).Where(k => wanted.Contains(k.ProductId)).ToList();
        return due.Count > 0 && await ExpireHoldsAsync(due, ct) > 0;
    }

    /// <summary>
    /// A sold-out product refuses thousands of shoppers a second in a flash sale; looking for due holds on every
    /// refusal would multiply the load. Each instance looks at most once per <see cref="ReclaimInterval"/> per
    /// product (the sweep covers the rest). This is a cost guard, not state: losing it changes no outcome.
    /// </summary>
    private bool ShouldLookForDueHolds(string productId)
    {
        var now = clock.GetTimestamp();
        if (lastReclaim.Count > 10_000)
        {
            lastReclaim.Clear();
        }

        var last = lastReclaim.GetOrAdd(productId, 0);
        return (last == 0 || clock.GetElapsedTime(last, now) >= ReclaimInterval) && lastReclaim.TryUpdate(productId, now, last);
    }

    private async Task<ReservationResult> ReplayAsync(
        Reservation existing, string reservationId, IReadOnlyList<ReserveItem> items, string fingerprint, CancellationToken ct)
    {
        if (existing.RequestFingerprint != fingerprint)
        {
            throw Problems.IdempotencyConflict(reservationId);
        }

        // Records of one request are written together, so the others exist too. The hold happened, so the replay
        // also repairs any status its first call left stale (that caller may have hung up before it could).
        var all = (await Task.WhenAll(items.Select(item => GetAsync(item.ProductId, reservationId, ct)))).OfType<Reservation>().ToList();
        await reconciler.AfterCommitAsync(all.Select(r => (r.ProductId, r.WarehouseId)));
        return new ReservationResult(all, Replayed: true);
    }

    /// <summary>Gives a hold's units back. Releasing twice, or releasing an expired hold, is a no-op.</summary>
    public async Task ReleaseAsync(string productId, string reservationId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var reservation = await GetAsync(productId, reservationId, ct)
                ?? throw Problems.ReservationNotFound(productId, reservationId);
            switch (reservation.Status)
            {
                case ReservationStatus.RELEASED or ReservationStatus.EXPIRED:
                    return;
                case ReservationStatus.FULFILLED:
                    throw Problems.ReservationNotActive(reservation);
            }

            var now = clock.UtcNowMillis();
            var reasons = await writes.TransactAsync(
            [
                FinishReservationAction(reservation, ReservationStatus.RELEASED, now),
                MoveHoldAction(reservation, take: false, now),
            ], ct);

            if (reasons is null)
            {
                await reconciler.AfterCommitAsync([(productId, reservation.WarehouseId)]);
                return;
            }

            if (!Writes.IsConditionFailure(reasons[0]) || attempt >= ResolveAttempts)
            {
                // The record was ACTIVE but its row holds fewer units than it: the invariant is broken.
                throw new InvalidOperationException(
                    $"Row {productId}/{reservation.WarehouseId} holds fewer reserved units than active reservation {reservationId}.");
            }

            // Someone else finished the reservation between our read and write: answer from its new state.
        }
    }

    /// <summary>
    /// Sells an order's lines, all or nothing: lines that name a reservation convert that hold into a sale
    /// (only while it is ACTIVE); lines without one sell from available stock. The processed-order record
    /// commits in the same transaction, so a replayed order returns the first answer and never sells twice.
    /// </summary>
    public async Task<FulfilmentResult> FulfilAsync(string orderId, IReadOnlyList<FulfilLine> lines, CancellationToken ct)
    {
        var key = $"order:{orderId}";
        var fingerprint = Domain.Fingerprint.Of(
            "fulfil", string.Join(';', lines.Select(l => $"{l.ProductId}|{l.ReservationId}|{l.Quantity}|{l.WarehouseId}")));

        for (var attempt = 1; ; attempt++)
        {
            if (await idempotency.GetAsync(key, ct) is { } done)
            {
                return await ReplayAsync(done, fingerprint, orderId);
            }

            try
            {
                if (await TryFulfilOnceAsync(key, fingerprint, orderId, lines, attempt, ct) is { } result)
                {
                    return result;
                }
            }
            catch (InventoryException refusal) when (refusal.Status == 409)
            {
                // An identical call may have committed while this one was resolving its lines (a client retrying
                // after a timeout, say): then the order was sold, and the answer is that sale, never a refusal.
                if (await idempotency.GetAsync(key, ct) is { } first)
                {
                    return await ReplayAsync(first, fingerprint, orderId);
                }

                throw;
            }
        }
    }

    /// <summary>One try at the sale: its result, or null when something moved underneath and it must be tried again.</summary>
    private async Task<FulfilmentResult?> TryFulfilOnceAsync(
        string key, string fingerprint, string orderId, IReadOnlyList<FulfilLine> lines, int attempt, CancellationToken ct)
    {
        var resolved = new List<(FulfilledLine Line, Reservation? Hold)>();
        foreach (var line in lines)
        {
            resolved.Add(await ResolveLineAsync(line, ct));
        }

        var rows = resolved
            .GroupBy(r => (r.Line.ProductId, r.Line.WarehouseId))
            .Select(g => (g.Key.ProductId, g.Key.WarehouseId,
                Held: g.Where(r => r.Hold is not null).Sum(r => r.Line.Quantity),
                Direct: g.Where(r => r.Hold is null).Sum(r => r.Line.Quantity)))
            .ToList();
        var holds = resolved.Where(r => r.Hold is not null).Select(r => r.Hold!).ToList();

        var actionCount = rows.Count + holds.Count + 1;
        if (actionCount > MaxTransactionActions)
        {
            throw Problems.TooManyItems(actionCount, MaxTransactionActions);
        }

        var now = clock.UtcNowMillis();
        var result = new FulfilmentResult(orderId, resolved.Select(r => r.Line).ToList(), now, Replayed: false);
        var actions = rows.Select(r => SellAction(r.ProductId, r.WarehouseId, r.Held, r.Direct, now)).ToList();
        actions.AddRange(holds.Select(h => FinishReservationAction(h, ReservationStatus.FULFILLED, now)));
        actions.Add(idempotency.PutAction(key, fingerprint, JsonSerializer.Serialize(result)));

        var reasons = await writes.TransactAsync(actions, ct);
        if (reasons is null)
        {
            await reconciler.AfterCommitAsync(rows.Select(r => (r.ProductId, r.WarehouseId)));
            return result;
        }

        if (Writes.IsConditionFailure(reasons[^1]))
        {
            return await ReplayAsync(IdempotencyRecords.ToRecord(reasons[^1].Item), fingerprint, orderId);
        }

        if (holds.Count > 0 && reasons.Skip(rows.Count).Take(holds.Count).Any(Writes.IsConditionFailure) && attempt < ResolveAttempts)
        {
            return null; // a hold changed state under us; the next pass reports its new state
        }

        var shortages = new List<ItemShortage>();
        var choseWarehouse = false;
        for (var i = 0; i < rows.Count; i++)
        {
            if (!Writes.IsConditionFailure(reasons[i]))
            {
                continue;
            }

            if (reasons[i].Item is not { Count: > 0 } old)
            {
                throw await NotFoundAsync(rows[i].ProductId, rows[i].WarehouseId, ct);
            }

            choseWarehouse |= lines.Any(l => l.ProductId == rows[i].ProductId && l.WarehouseId is null && l.ReservationId is null);
            shortages.Add(new ItemShortage(rows[i].ProductId, rows[i].WarehouseId, rows[i].Direct,
                Items.ToRow(old).AvailableCount, "insufficient_stock"));
        }

        if (shortages.Count == 0 || (choseWarehouse && attempt < ResolveAttempts))
        {
            if (attempt >= 2 * ResolveAttempts)
            {
                throw Problems.Busy();
            }

            return null;
        }

        throw ShortageProblem(shortages);
    }

    private async Task<FulfilmentResult> ReplayAsync(IdempotencyRecord record, string fingerprint, string orderId)
    {
        if (record.Fingerprint != fingerprint)
        {
            throw Problems.IdempotencyConflict(orderId);
        }

        var first = JsonSerializer.Deserialize<FulfilmentResult>(record.ResultJson)! with { Replayed = true };
        await reconciler.AfterCommitAsync(first.Lines.Select(l => (l.ProductId, l.WarehouseId)));
        return first;
    }

    private async Task<(FulfilledLine Line, Reservation? Hold)> ResolveLineAsync(FulfilLine line, CancellationToken ct)
    {
        if (line.ReservationId is { } reservationId)
        {
            var hold = await GetAsync(line.ProductId, reservationId, ct) ?? throw Problems.ReservationNotFound(line.ProductId, reservationId);
            if (!hold.IsActive)
            {
                throw Problems.ReservationNotActive(hold);
            }

            if (line.Quantity is { } quantity && quantity != hold.Quantity)
            {
                throw Problems.Validation("quantity", $"must equal the reservation's quantity ({hold.Quantity}) or be left out.");
            }

            return (new FulfilledLine(line.ProductId, hold.WarehouseId, hold.Quantity, reservationId), hold);
        }

        var resolved = (await ResolveWarehousesAsync([new ReserveItem(line.ProductId, line.WarehouseId, line.Quantity!.Value)], ct))[0];
        return (new FulfilledLine(line.ProductId, resolved.WarehouseId!, resolved.Quantity, null), null);
    }

    /// <summary>Fills in the warehouse of items that name none, by <see cref="WarehouseChoice"/>.</summary>
    private async Task<List<ReserveItem>> ResolveWarehousesAsync(IReadOnlyList<ReserveItem> items, CancellationToken ct)
    {
        var resolved = new List<ReserveItem>(items.Count);
        var shortages = new List<ItemShortage>();
        foreach (var item in items)
        {
            if (item.WarehouseId is not null)
            {
                resolved.Add(item);
                continue;
            }

            var rows = await inventory.GetRowsAsync(item.ProductId, ct);
            if (rows.Count == 0)
            {
                throw Problems.ProductNotFound(item.ProductId);
            }

            if (WarehouseChoice.Pick(rows, item.Quantity) is { } row)
            {
                resolved.Add(item with { WarehouseId = row.WarehouseId });
            }
            else
            {
                shortages.Add(new ItemShortage(item.ProductId, null, item.Quantity, rows.Max(r => r.AvailableCount), "insufficient_stock"));
            }
        }

        if (shortages.Count > 0)
        {
            throw ShortageProblem(shortages);
        }

        return resolved;
    }

    private static InventoryException ShortageProblem(List<ItemShortage> shortages) =>
        shortages.Count == 1
            ? Problems.InsufficientStock(shortages[0].ProductId, shortages[0].WarehouseId, shortages[0].Requested, shortages[0].AvailableCount)
            : Problems.InsufficientStock(shortages);

    private async Task<InventoryException> NotFoundAsync(string productId, string warehouseId, CancellationToken ct) =>
        (await inventory.GetRowsAsync(productId, ct)).Count == 0
            ? Problems.ProductNotFound(productId)
            : Problems.WarehouseNotFound(productId, warehouseId);

    /// <summary>
    /// Moves a hold's units between available and reserved: taking a hold needs them available, giving one
    /// back needs them reserved. The old row comes back on failure, to say how many were available.
    /// </summary>
    private TransactWriteItem MoveHoldAction(Reservation reservation, bool take, DateTimeOffset now) =>
        MoveHoldAction(reservation.ProductId, reservation.WarehouseId, reservation.Quantity, take, now);

    private TransactWriteItem MoveHoldAction(string productId, string warehouseId, long quantity, bool take, DateTimeOffset now) => new()
    {
        Update = new Update
        {
            TableName = storage.InventoryTable,
            Key = Items.InventoryKey(productId, warehouseId),
            UpdateExpression = take ? "SET #r = #r + :q, #a = #a - :q, #lu = :now" : "SET #r = #r - :q, #a = #a + :q, #lu = :now",
            ConditionExpression = take ? "attribute_exists(#p) AND #a >= :q" : "attribute_exists(#p) AND #r >= :q",
            ExpressionAttributeNames = RowNames(),
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":q"] = Items.N(quantity),
                [":now"] = Items.Time(now),
            },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        },
    };

    /// <summary>Stock leaves the building: held units leave reserved, direct sales leave available.</summary>
    private TransactWriteItem SellAction(string productId, string warehouseId, long held, long direct, DateTimeOffset now)
    {
        var names = RowNames();
        names["#s"] = Attr.StockCount;
        names["#v"] = Attr.Version;
        return new TransactWriteItem
        {
            Update = new Update
            {
                TableName = storage.InventoryTable,
                Key = Items.InventoryKey(productId, warehouseId),
                UpdateExpression = "SET #s = #s - :total, #r = #r - :held, #a = #a - :direct, #v = #v + :one, #lu = :now",
                ConditionExpression = "attribute_exists(#p) AND #a >= :direct AND #r >= :held",
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":total"] = Items.N(held + direct),
                    [":held"] = Items.N(held),
                    [":direct"] = Items.N(direct),
                    [":one"] = Items.N(1),
                    [":now"] = Items.Time(now),
                },
                ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
            },
        };
    }

    private TransactWriteItem PutReservationAction(Reservation reservation)
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
    private TransactWriteItem FinishReservationAction(Reservation reservation, ReservationStatus final, DateTimeOffset now) => new()
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
    private TransactWriteItem ExpireAction(Reservation reservation, DateTimeOffset now)
    {
        var finish = FinishReservationAction(reservation, ReservationStatus.EXPIRED, now);
        finish.Update.ConditionExpression += " AND #exp <= :nowEpoch";
        finish.Update.ExpressionAttributeNames["#exp"] = Attr.ExpiresAtEpoch;
        finish.Update.ExpressionAttributeValues[":nowEpoch"] = Items.N(now.ToUnixTimeSeconds());
        return finish;
    }

    /// <summary>Chosen once, when the hold is created, so a random spread is all that is needed.</summary>
    private static string ActiveShardOf() => "A" + Random.Shared.Next(Indexes.ActiveShards);

    private static Dictionary<string, string> RowNames() => new()
    {
        ["#p"] = Attr.ProductId,
        ["#r"] = Attr.ReservedCount,
        ["#a"] = Attr.AvailableCount,
        ["#lu"] = Attr.LastUpdated,
    };
}
