using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;

namespace Inventory.Api.Projections;

/// <summary>
/// The stock history: one entry per change of a row's counts, written from the stock table's change stream. Every
/// count-changing write numbers its move on the row (<c>move_seq</c>) and says why it was made (<c>last_move</c>), so
/// one change record holds a whole entry: kind, who, reason and reference from the new image, the counts before and
/// after from the two images. The entry is keyed by the row and that number (<see cref="HistoryRecords"/>), and is a
/// pure function of the record, so a redelivered record writes the same item again (never a second entry), the entries
/// of a row are in the order of its changes, and a missing number is a missing entry.
/// </summary>
public sealed class HistoryProjection(HistoryRecords history, ILogger<HistoryProjection> logger) : IChangeConsumer
{
    /// <summary>How many BatchWriteItem requests one batch of change records sends at once.</summary>
    private const int WriteParallelism = 8;

    public string Name => "history";

    /// <summary>
    /// The history entry a change record stands for, or null if the change moved no count (a stored status, a category,
    /// a row from before the history, a removed item).
    /// </summary>
    public static StockMovement? MovementOf(ChangeRecord record)
    {
        if (record.NewImage is not { Count: > 0 } after || !after.ContainsKey(Attr.MoveSequence) || !after.ContainsKey(Attr.StockCount))
        {
            return null;
        }

        var before = record.OldImage is { Count: > 0 } old && old.ContainsKey(Attr.StockCount) ? old : null;
        var sequence = Items.Long(after, Attr.MoveSequence);
        if (before is not null && before.ContainsKey(Attr.MoveSequence) && Items.Long(before, Attr.MoveSequence) == sequence)
        {
            return null;
        }

        var move = after.TryGetValue(Attr.LastMove, out var value) && value.M is { } map ? map : [];
        var kindName = Items.Str(move, Attr.MoveKind);
        if (kindName is null || !Enum.GetNames<MoveKind>().Contains(kindName, StringComparer.Ordinal))
        {
            throw new FormatException($"move {sequence} has no kind this service knows ('{kindName}')");
        }

        var kind = Enum.Parse<MoveKind>(kindName);
        var countsBefore = before is null ? StockCounts.Zero : Counts(before);
        var countsAfter = Counts(after);
        return new StockMovement(
            Items.Str(after, Attr.ProductId)!,
            Items.Str(after, Attr.WarehouseId)!,
            sequence,
            kind,
            StockMovement.QuantityOf(kind, countsBefore, countsAfter),
            countsBefore,
            countsAfter,
            Items.Str(move, Attr.MovedBy) ?? string.Empty,
            Items.Str(move, Attr.MoveReason),
            Items.Str(move, Attr.MoveReference),
            Items.Timestamp(after, Attr.LastUpdated));
    }

    /// <summary>
    /// Writes the entries of these change records (in stream order), a batch of 25 at a time. Returns how many records
    /// are done before the first batch that failed (all of them if none did): the caller resumes from there, and the
    /// entries written again are the same items.
    /// </summary>
    public async Task<Consumed> ConsumeAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        var entries = new List<(int Record, StockMovement Movement)>();
        for (var i = 0; i < records.Count; i++)
        {
            try
            {
                if (MovementOf(records[i]) is { } movement)
                {
                    entries.Add((i, movement));
                }
            }
            catch (Exception e) when (e is FormatException or OverflowException or KeyNotFoundException)
            {
                // Retrying cannot change it: the row's history has a gap here, which the drift report shows.
                logger.LogError(e, "Change record {SequenceNumber} has a stock row this service cannot read; no history entry", records[i].SequenceNumber);
            }
        }

        // Entries are independent items, so the batches go side by side: one after another, a reader that takes a
        // thousand records a round would fall behind a busy table (and the status, handled with them, with it).
        var batches = entries.Chunk(Writes.MaxBatchWriteItems).ToList();
        var failures = new Exception?[batches.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, batches.Count), new ParallelOptions { MaxDegreeOfParallelism = WriteParallelism, CancellationToken = ct }, async (i, token) =>
        {
            try
            {
                await history.PutAsync(batches[i].Select(e => e.Movement).ToList(), token);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                failures[i] = e;
            }
        });

        // Done: every record before the first batch that failed (later batches that went through are written again).
        var failed = Array.FindIndex(failures, f => f is not null);
        return failed < 0 ? (records.Count, null) : (batches[failed][0].Record, failures[failed]);
    }

    private static StockCounts Counts(Dictionary<string, AttributeValue> row) => new(
        Items.Long(row, Attr.StockCount), Items.Long(row, Attr.ReservedCount), Items.Long(row, Attr.AvailableCount), Items.Long(row, Attr.ThresholdLevel));
}
