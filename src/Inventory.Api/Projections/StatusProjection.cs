using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Infrastructure;

namespace Inventory.Api.Projections;

/// <summary>
/// The one owner of the stored status and of the low-stock alerts. Stock writes change counts only; this turns
/// what they did into the stored status the listings use and one alert per transition, after the fact:
/// <list type="bullet">
/// <item>from the table's change stream (<see cref="ConsumeAsync"/>), in the stream's per-item order, on AWS through
/// the stream function and locally through <see cref="LocalStreamReader"/>;</item>
/// <item>and, as a backstop, from the scheduled threshold check (<see cref="RepairAsync"/>) for a row that has been
/// quiet for a while and still stores a status its counts do not imply (a change record lost to the stream's
/// dead-letter queue, a row edited by hand).</item>
/// </list>
/// Each status write is one transaction: the row's new status, conditioned on the status it replaces, and the alert
/// for that move. So a row's alerts form one chain (each starts where the previous ended) ending at its stored status.
/// A write from the stream also records the change's sequence number and requires it to be newer than the one stored,
/// so a redelivered batch writes nothing twice.
/// </summary>
public sealed class StatusProjection(
    IAmazonDynamoDB dynamo, Writes writes, HotRows hot, AlertRecords alerts, IOptions<StorageOptions> options, IOptions<AttemptOptions> attempts,
    TimeProvider clock, ILogger<StatusProjection> logger) : IChangeConsumer
{
    private readonly int settleAttempts = attempts.Value.StatusSettle;

    /// <summary>
    /// No stream hands over a record older than this: DynamoDB trims its streams after 24 hours, DynamoDB Local deletes
    /// records after 30. So a status written longer ago than this comes after no record still deliverable, whatever
    /// the sequence numbers say: DynamoDB Local, started again on its data after 30 hours without a write, deletes
    /// every record and numbers new ones from 1 again, far below the sequence numbers its rows keep.
    /// </summary>
    public static readonly TimeSpan StreamRetention = TimeSpan.FromHours(30);

    private readonly string table = options.Value.InventoryTable;

    public string Name => "status";

    /// <summary>
    /// Handles change records of the inventory table in stream order. Most need nothing: a hold that leaves the status
    /// where the row stores it. A record whose counts move the status (or imply another one than the row stores)
    /// costs a read, and a transaction when the stored status is not yet the one it implies. Returns how many records
    /// it handled before it failed (all of them if it did not): the caller resumes from the first unhandled one.
    /// </summary>
    public async Task<Consumed> ConsumeAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        // What this batch has settled each row to: images written before a status write still carry the old status.
        var settled = new Dictionary<(string, string), StockStatus?>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.NewImage is not { Count: > 0 } image || !image.ContainsKey(Attr.StockCount))
            {
                continue; // a removed row, or an item that is not a stock row
            }

            InventoryRow after;
            StockStatus? before;
            try
            {
                after = Items.ToRow(image);
                before = record.OldImage is { Count: > 0 } old && old.ContainsKey(Attr.StockCount) ? Items.ToRow(old).Status : null;
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                // Retrying cannot change it; the threshold check repairs the row's status once it is quiet.
                logger.LogError(e, "Change record {SequenceNumber} has a stock row this service cannot read; skipped", record.SequenceNumber);
                continue;
            }

            if (SubRows.IsSubRow(after.ProductId) || after.IsSpread)
            {
                continue; // a hot row's status is its sub-rows' together: settled below, once per row
            }

            // The image shows the status stored when the change was written, unless this batch has written it since.
            var key = (after.ProductId, after.WarehouseId);
            var stored = settled.TryGetValue(key, out var known) ? known : after.StoredStatus;
            if (!StatusChanges.NeedsAttention(before, after.Status, stored))
            {
                continue;
            }

            try
            {
                settled[key] = (await SettleAsync(after, record.SequenceNumber, Items.Str(image, Attr.StatusRepair), ct)).Stored;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                return (i, e);
            }
        }

        foreach (var (productId, warehouseId, first) in ChangeStream.SpreadRowsIn(records))
        {
            try
            {
                await SettleSpreadAsync(productId, warehouseId, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                return (first, e);
            }
        }

        return (records.Count, null);
    }

    /// <summary>
    /// Stores the status of a hot row from all its sub-rows as of one instant (a transactional read), with its alert,
    /// conditioned on the status and transition time it replaces. Sub-rows' changes reach the stream in no order
    /// between them, so no sequence number can say which is newest: instead every change settles from the row as it is
    /// after it, and the condition lets only one writer move each step. The last change's settle reads the last
    /// state, so the stored status ends where the counts are, and every alert is one step of one chain.
    /// </summary>
    private async Task SettleSpreadAsync(string productId, string warehouseId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await hot.SnapshotItemsAsync(productId, warehouseId, ct) is not { } items)
            {
                return; // the row is gone
            }

            var home = Items.ToRow(items[0]);
            var row = HotRows.Combine(home, items.Skip(1).Select(Items.ToRow));
            if (home.StoredStatus == row.Status)
            {
                return;
            }

            var previous = items[0].ContainsKey(Attr.StatusChangedAt) ? Items.Timestamp(items[0], Attr.StatusChangedAt) : (DateTimeOffset?)null;
            var at = StatusChanges.TransitionTime(clock.UtcNowMillis(), previous);
            var transaction = new Transaction();
            transaction.Add(StatusWrite(home, items[0].GetValueOrDefault(Attr.Status), row.Status, at, sequence: null, sequenceGuard: false, previous, pinUnchanged: false));
            if (home.StoredStatus is { } from)
            {
                transaction.Add(alerts.StatusChanged(row, from, at));
            }

            if ((await writes.CommitAsync(transaction, ct)).IsCommitted)
            {
                return;
            }

            if (attempt >= settleAttempts)
            {
                throw new InvalidOperationException($"The stored status of hot row {productId}/{warehouseId} kept moving under its write ({attempt} attempts)");
            }
        }
    }

    /// <summary>
    /// The threshold check's repair: if the row has been unchanged for <paramref name="quietFor"/> and stores another
    /// status than its counts imply, stores that status with its alert. A busy row is left to the stream, which is
    /// still working through its changes. Returns whether it wrote.
    /// </summary>
    public async Task<bool> RepairAsync(Dictionary<string, AttributeValue> item, DateTimeOffset now, TimeSpan quietFor, CancellationToken ct)
    {
        var row = Items.ToRow(item);
        if (SubRows.IsSubRow(row.ProductId))
        {
            return false; // a hot row's sub-row stores no status of its own
        }

        if (row.IsSpread)
        {
            // Its counts are only sub-row 0's share: settle it from all its sub-rows (which needs no quiet period).
            var before = row.StoredStatus;
            await SettleSpreadAsync(row.ProductId, row.WarehouseId, ct);
            return (await hot.SnapshotAsync(row.ProductId, row.WarehouseId, ct))?[0].StoredStatus != before;
        }

        if (row.Status == row.StoredStatus || now - row.LastUpdated < quietFor)
        {
            return false;
        }

        return (await SettleAsync(row, sequenceNumber: null, repairSeen: null, ct)).Wrote;
    }

    /// <summary>Whether the stored status of this item is not the one its counts imply (or there is none).</summary>
    public static bool NeedsStatus(Dictionary<string, AttributeValue> item)
    {
        var row = Items.ToRow(item);
        return row.Status != row.StoredStatus;
    }

    /// <summary>
    /// Stores the status <paramref name="after"/>'s counts imply, with its alert, unless a newer change already did.
    /// With a sequence number (the stream) the write records it; without one (the repair) it requires the row to be
    /// unchanged since <paramref name="after"/> was read, and marks the row repaired. A change from before the latest
    /// repair (its image, <paramref name="repairSeen"/>, does not carry the row's mark) writes nothing: the repair
    /// stored the status of a later state, and going back to this change's would move the status backwards and
    /// announce moves twice. Returns the status the row stores afterwards, and whether this call wrote it.
    /// </summary>
    private async Task<(StockStatus? Stored, bool Wrote)> SettleAsync(InventoryRow after, string? sequenceNumber, string? repairSeen, CancellationToken ct)
    {
        var sequence = sequenceNumber is null ? null : SequenceKey(sequenceNumber);
        for (var attempt = 1; ; attempt++)
        {
            var item = (await dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = table,
                Key = Items.InventoryKey(after.ProductId, after.WarehouseId),
                ConsistentRead = true,
            }, ct)).Item;
            if (item is not { Count: > 0 })
            {
                return (null, false); // the row is gone
            }

            var current = Items.ToRow(item);
            var previous = item.ContainsKey(Attr.StatusChangedAt) ? Items.Timestamp(item, Attr.StatusChangedAt) : (DateTimeOffset?)null;
            var storedSequence = previous is { } changed && clock.GetUtcNow() - changed > StreamRetention ? null : Items.Str(item, Attr.StatusSequence);
            if (sequence is not null && storedSequence is not null && string.CompareOrdinal(storedSequence, sequence) >= 0)
            {
                return (current.StoredStatus, false); // this change, or a later one, was handled already
            }

            if (sequence is not null && Items.Str(item, Attr.StatusRepair) is { } repair && repair != repairSeen)
            {
                return (current.StoredStatus, false); // the threshold check's repair came after this change and stored a later status
            }

            if (current.StoredStatus == after.Status || (sequence is null && current.LastUpdated != after.LastUpdated))
            {
                return (current.StoredStatus, false);
            }

            // Stamped when it is recorded, as the alert tails expect (they read by time, looking back a few seconds),
            // not when the change happened: a change the stream or the repair reaches late must still be delivered.
            var at = StatusChanges.TransitionTime(clock.UtcNowMillis(), previous);
            var transaction = new Transaction();
            transaction.Add(StatusWrite(current, item.GetValueOrDefault(Attr.Status), after.Status, at, sequence, storedSequence is not null, previous));
            if (current.StoredStatus is { } from)
            {
                transaction.Add(alerts.StatusChanged(after, from, at));
            }

            if ((await writes.CommitAsync(transaction, ct)).IsCommitted)
            {
                return (after.Status, true);
            }

            if (attempt >= settleAttempts)
            {
                throw new InvalidOperationException(
                    $"The stored status of {after.ProductId}/{after.WarehouseId} kept moving under its write ({attempt} attempts)");
            }

            logger.LogDebug("Status of {ProductId}/{WarehouseId} moved while it was being written; reading it again", after.ProductId, after.WarehouseId);
        }
    }

    /// <summary>Sequence numbers are decimal strings of up to 40 digits: padded, text order is number order.</summary>
    public static string SequenceKey(string sequenceNumber) => sequenceNumber.PadLeft(40, '0');

    /// <param name="pinUnchanged">
    /// Without a sequence number, also require the row unchanged since it was read (the repair); a hot row's settle,
    /// whose row changes with every hold on sub-row 0, pins only the status and its time.
    /// </param>
    private TransactWriteItem StatusWrite(
        InventoryRow current, AttributeValue? stored, StockStatus to, DateTimeOffset at, string? sequence, bool sequenceGuard, DateTimeOffset? previous,
        bool pinUnchanged = true)
    {
        var names = new Dictionary<string, string>
        {
            ["#p"] = Attr.ProductId,
            ["#st"] = Attr.Status,
            ["#sc"] = Attr.StatusChangedAt,
        };
        var values = new Dictionary<string, AttributeValue> { [":to"] = Items.S(to.ToString()), [":at"] = Items.Time(at) };
        var update = "SET #st = :to, #sc = :at";

        // Pinned to the status and transition time it replaces, so the alert's "from" is exactly the previous alert's "to".
        // Pinned to the value as stored, not as read: a value that is no status (edited by hand) must be replaceable too.
        var condition = "attribute_exists(#p)";
        if (stored is not null)
        {
            values[":from"] = stored;
            condition += " AND #st = :from";
        }
        else
        {
            condition += " AND attribute_not_exists(#st)";
        }

        if (previous is { } changed)
        {
            values[":prev"] = Items.Time(changed);
            condition += " AND #sc = :prev";
        }
        else
        {
            condition += " AND attribute_not_exists(#sc)";
        }

        names["#seq"] = Attr.StatusSequence;
        if (sequence is not null)
        {
            values[":seq"] = Items.S(sequence);
            update += ", #seq = :seq";
            if (sequenceGuard)
            {
                condition += " AND (attribute_not_exists(#seq) OR #seq < :seq)";
            }
        }
        else
        {
            // The repair's mark turns away every record from before it, so the sequence number it leaves behind (which
            // may be of an older numbering) must not turn away the records after it.
            if (pinUnchanged)
            {
                names["#lu"] = Attr.LastUpdated;
                values[":lu"] = Items.Time(current.LastUpdated);
                condition += " AND #lu = :lu";
            }

            names["#rep"] = Attr.StatusRepair;
            values[":rep"] = Items.S(Guid.NewGuid().ToString("N"));
            update += ", #rep = :rep REMOVE #seq";
        }

        return new TransactWriteItem
        {
            Update = new Update
            {
                TableName = table,
                Key = Items.InventoryKey(current.ProductId, current.WarehouseId),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = values,
            },
        };
    }
}
