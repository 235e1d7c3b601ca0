using System.Runtime.ExceptionServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;

namespace Inventory.Api.Features.Reservations;

/// <summary>
/// Holds whose time is up: the sweep (every second locally, every minute on AWS) and the reclaim a reservation does
/// before refusing for lack of stock. Both read the sparse active-expiry index, so they never scan, and both
/// expire a hold only while it is still ACTIVE and due: a hold sold or extended meanwhile ends in exactly one state.
/// </summary>
public sealed class HoldExpiry(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, ReservationRecords records, TimeProvider clock, ILogger<HoldExpiry> logger)
{
    /// <summary>How many products one sweep expires at once; bounded so a sweep does not crowd out live traffic.</summary>
    private const int SweepParallelism = 8;

    private static readonly TimeSpan ReclaimInterval = TimeSpan.FromMilliseconds(250);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> lastReclaim = new(StringComparer.Ordinal);

    /// <summary>
    /// The sweep: expires every hold whose time is up, reading the active-expiry index shard by shard, and returns
    /// how many it expired. Safe to run twice at once or to stop half-way: each hold is expired by one conditional
    /// transaction. A row whose holds cannot be expired now is logged and left due, so the next run tries it again.
    /// </summary>
    public async Task<int> ExpireDueAsync(CancellationToken ct)
    {
        var expired = 0;
        var dueKeys = await DueHoldKeysAsync(ct);

        // Products in parallel, each product's holds one batch after another: the holds of one product all
        // update the same row, and parallel transactions on one item would only cancel each other. Each row stands
        // alone: one that stays busy or fails must not cost every other product its expiry in this run.
        var byProduct = dueKeys.GroupBy(k => k.ProductId, StringComparer.Ordinal);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = SweepParallelism, CancellationToken = ct };
        await Parallel.ForEachAsync(byProduct, parallel, async (product, token) =>
        {
            try
            {
                foreach (var row in await ExpireHoldsAsync([.. product], token))
                {
                    Interlocked.Add(ref expired, row.Expired);
                    if (row.Failure is { } failure)
                    {
                        logger.LogWarning(failure, "Due holds of {ProductId}/{WarehouseId} not all expired; the next sweep tries again",
                            row.ProductId, row.WarehouseId);
                    }
                }
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                // The re-read of the product's due holds failed, before any of its rows was tried.
                logger.LogWarning(e, "Due holds of {ProductId} not read; the next sweep tries again", product.Key);
            }
        });

        return expired;
    }

    /// <summary>
    /// Before refusing for lack of stock, takes back the holds on these products whose time is up. It reads the
    /// *due* entries of the index (which the sweep keeps near empty), never a hot product's whole history, and
    /// each instance looks at most once per <see cref="ReclaimInterval"/> per product, so a flash sale's
    /// refusals stay cheap. Returns whether any hold came back.
    /// </summary>
    public async Task<bool> ReclaimAsync(IEnumerable<string> productIds, CancellationToken ct)
    {
        var wanted = productIds.Where(ShouldLookForDueHolds).ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return false;
        }

        var due = (await DueHoldKeysAsync(ct)).Where(k => wanted.Contains(SubRows.ProductOf(k.ProductId))).ToList();
        if (due.Count == 0)
        {
            return false;
        }

        var expired = await ExpireHoldsAsync(due, ct);
        if (expired.Any(row => row.Expired > 0))
        {
            return true;
        }

        // Nothing came back because the writes failed, not because nothing was due: a refusal for lack of stock
        // would not be the truth, so the caller gets the failure (a busy row is 503, retry) instead.
        if (expired.FirstOrDefault(row => row.Failure is not null)?.Failure is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return false;
    }

    /// <summary>Ends one hold whose time is up, if it is still ACTIVE and still due. Returns whether this call did.</summary>
    public async Task<bool> ExpireAsync(Reservation hold, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        if (!hold.IsActive || !hold.HasExpired(now))
        {
            return false;
        }

        var transaction = new Transaction();
        transaction.Add(records.Expire(hold, now));
        transaction.Add(rows.ReturnHold(hold.RowKey, hold.WarehouseId, hold.Quantity, now, Expired(hold.ReservationId)));
        // False: sold, released, extended or expired by someone else first.
        return (await writes.CommitAsync(transaction, ct)).IsCommitted;
    }

    /// <summary>What expiring one row's due holds did: how many came back, and why some could not (null if none failed).</summary>
    private sealed record RowExpiry(string ProductId, string WarehouseId, int Expired, Exception? Failure);

    /// <summary>Expires the given holds that are still ACTIVE and due, row by row; one row's failure does not stop the next.</summary>
    private async Task<List<RowExpiry>> ExpireHoldsAsync(List<(string ProductId, string ReservationId)> keys, CancellationToken ct)
    {
        // The index is eventually consistent: re-read the holds before acting on them.
        var now = clock.UtcNowMillis();
        var stored = await Reads.BatchGetAllAsync(dynamo, records.Table, keys.Select(k => Items.ReservationKey(k.ProductId, k.ReservationId)).ToList(), ct);
        var due = stored.Select(Items.ToReservation).Where(h => h.IsActive && h.HasExpired(now)).ToList();

        var done = new List<RowExpiry>();
        foreach (var row in due.GroupBy(h => (h.RowKey, h.WarehouseId)))
        {
            done.Add(await ExpireRowAsync(row.Key.RowKey, row.Key.WarehouseId, [.. row], now, ct));
        }

        return done;
    }

    /// <summary>
    /// Expires one row's due holds. They go in one transaction per batch (each hold's conditional finish plus a
    /// single return of their total to the row), so a sweep costs one write per row, not one per abandoned cart. A
    /// batch that does not commit (a hold changed meanwhile, or the row stayed busy) is tried once more hold by hold,
    /// and each hold once: one that fails is skipped, never retried here, so the row's other holds still come back,
    /// the work stays bounded however busy the row is, and the next run tries the skipped ones again.
    /// </summary>
    private async Task<RowExpiry> ExpireRowAsync(string rowKey, string warehouseId, Reservation[] holds, DateTimeOffset now, CancellationToken ct)
    {
        var expired = 0;
        Exception? failure = null;
        foreach (var batch in holds.Chunk(Transaction.MaxActions - 1))
        {
            var transaction = new Transaction();
            foreach (var hold in batch)
            {
                transaction.Add(records.Expire(hold, now));
            }

            transaction.Add(rows.ReturnHold(rowKey, warehouseId, batch.Sum(h => h.Quantity), now, Expired(batch.Select(h => h.ReservationId))));
            try
            {
                if ((await writes.CommitAsync(transaction, ct)).IsCommitted)
                {
                    expired += batch.Length;
                    continue;
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Not reported: the holds are tried one by one next, and what they cannot do is what the row failed.
            }

            foreach (var hold in batch)
            {
                try
                {
                    expired += await ExpireAsync(hold, ct) ? 1 : 0;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    failure ??= e;
                }
            }
        }

        return new RowExpiry(rowKey, warehouseId, expired, failure);
    }

    /// <summary>
    /// The history's record of an expiry: the reservations whose units came back, comma-separated when one write returns
    /// several (ids never contain a comma).
    /// </summary>
    private static MoveCause Expired(params IEnumerable<string> reservationIds) =>
        new(MoveKind.EXPIRY, Actor.Expiry, Reference: string.Join(',', reservationIds));

    /// <summary>Keys of ACTIVE holds whose time is up, from every shard of the sparse active-expiry index.</summary>
    private async Task<List<(string ProductId, string ReservationId)>> DueHoldKeysAsync(CancellationToken ct)
    {
        var nowEpoch = clock.UtcNowMillis().ToUnixTimeSeconds();
        var shards = await Task.WhenAll(Enumerable.Range(0, Indexes.ActiveShards).Select(shard =>
            Reads.QueryAllAsync(dynamo, new QueryRequest
            {
                TableName = records.Table,
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
    /// A sold-out product refuses thousands of shoppers a second in a flash sale; looking for due holds on every
    /// refusal would multiply the load. A cost guard, not state: losing it changes no outcome.
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
}
