using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Infrastructure;

namespace Inventory.Api.Projections;

/// <summary>
/// Sales velocity and days of cover per stock row, and the "runs out soon" alerts, from the stock table's change stream
/// (one of the <see cref="IChangeConsumer"/>s of <see cref="ChangeStream"/>). Only SALE moves count:
/// <list type="bullet">
/// <item>each sale adds its units to the row's counter for the sale's UTC day, conditioned on the row's move number
/// (<c>last_move_seq &lt; :first</c>), so a batch handed over again counts nothing twice;</item>
/// <item>after a batch, each row it touched is evaluated once: its last 28 daily counters (one Query), the product's
/// lead time, and the row's available units in its latest image give the cover (<see cref="StockCover"/>), stored on the
/// row's cover item with its move number. Going below the lead time writes the alert in the same transaction as the
/// flag that says the row is below, conditioned on the flag as read, so a replay or two consumers at once send one
/// alert per crossing; coming back above clears the flag (re-armed).</item>
/// </list>
/// </summary>
public sealed class CoverProjection(
    IAmazonDynamoDB dynamo, Writes writes, HotRows hot, AlertRecords alerts, IOptions<StorageOptions> options, IOptions<AttemptOptions> attempts,
    TimeProvider clock, ILogger<CoverProjection> logger) : IChangeConsumer
{
    private readonly int writeAttempts = attempts.Value.CoverWrite;

    /// <summary>
    /// Rows are independent items, evaluated side by side like the history's batches: one after another, a batch that
    /// touches many rows would hold back the status, which shares the reader.
    /// </summary>
    private const int RowParallelism = 8;

    /// <summary>Daily counters outlive the long window by a week (a late stream record still finds its day), then TTL deletes them.</summary>
    private const int CounterRetentionDays = StockCover.LongWindowDays + 7;

    private readonly string table = options.Value.VelocityTable;
    private readonly string productsTable = options.Value.ProductsTable;

    public string Name => "cover";

    /// <summary>
    /// Counts the sales of these change records (in stream order) and evaluates the cover of every row they moved.
    /// Returns how many records are done before the first row that failed: the caller resumes there, and what is
    /// handed over again is counted and alerted once.
    /// </summary>
    public async Task<Consumed> ConsumeAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        var rows = new Dictionary<(string, string), RowMoves>();
        for (var i = 0; i < records.Count; i++)
        {
            StockMovement? movement;
            try
            {
                movement = HistoryProjection.MovementOf(records[i]);
            }
            catch (Exception e) when (e is FormatException or OverflowException or KeyNotFoundException)
            {
                continue; // the history logs it; nothing here can be counted from it
            }

            if (movement is null)
            {
                continue;
            }

            var key = (movement.ProductId, movement.WarehouseId);
            if (!rows.TryGetValue(key, out var row))
            {
                rows[key] = row = new RowMoves(i);
            }

            row.Latest = (movement, records[i].NewImage!);
            if (movement.Kind == MoveKind.SALE && movement.Quantity > 0)
            {
                row.Sales.Add(movement);
            }
        }

        var leadTimes = new System.Collections.Concurrent.ConcurrentDictionary<string, Task<int?>>(StringComparer.Ordinal);
        var failed = new System.Collections.Concurrent.ConcurrentBag<(int First, Exception Error)>();
        var spread = new System.Collections.Concurrent.ConcurrentDictionary<(string, string), int>();
        await Parallel.ForEachAsync(rows.Values, new ParallelOptions { MaxDegreeOfParallelism = RowParallelism, CancellationToken = ct }, async (row, token) =>
        {
            try
            {
                await CountAsync(row.Sales, token);
                var (movement, image) = row.Latest!.Value;
                var moved = Items.ToRow(image);
                if (SubRows.IsSubRow(moved.ProductId) || moved.IsSpread)
                {
                    // A hot row's sub-rows count their own sales; its cover is the row's as a whole, evaluated below.
                    spread.AddOrUpdate((SubRows.ProductOf(moved.ProductId), moved.WarehouseId), row.First, (_, first) => Math.Min(first, row.First));
                    return;
                }

                if (row.Sales.Count == 0 && !await HasPaceAsync(moved, token))
                {
                    return; // no sale now and none in its window: no days of cover to compute, nothing to write
                }

                var leadTime = await leadTimes.GetOrAdd(movement.ProductId, p => LeadTimeAsync(p, token));
                await EvaluateAsync(moved, leadTime, sameMoveAgain: false, token);
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                failed.Add((row.First, e));
            }
        });

        // A hot row's sub-rows change in no order between them, so its evaluation reads the row as it is now; the write
        // stays pinned to the flag it read, so a crossing still alerts once.
        foreach (var ((productId, warehouseId), firstRecord) in spread)
        {
            try
            {
                if (await hot.SnapshotAsync(productId, warehouseId, ct) is { } parts)
                {
                    await EvaluateAsync(HotRows.Combine(parts[0], parts.Skip(1)), await LeadTimeAsync(productId, ct), sameMoveAgain: true, ct);
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failed.Add((firstRecord, e));
            }
        }

        if (failed.IsEmpty)
        {
            return (records.Count, null);
        }

        var first = failed.MinBy(f => f.First);
        return (first.First, first.Error);
    }

    /// <summary>
    /// Evaluates the product's rows again with their current counts (after its lead time changed), each once, with the
    /// same conditions as the stream: an alert is written only if this evaluation is the one that crosses.
    /// </summary>
    public async Task RefreshProductAsync(string productId, IReadOnlyList<InventoryRow> rows, CancellationToken ct)
    {
        var leadTime = await LeadTimeAsync(productId, ct);
        foreach (var row in rows)
        {
            await EvaluateAsync(row, leadTime, sameMoveAgain: true, ct);
        }
    }

    /// <summary>
    /// Adds the sales to their days' counters. A row's records arrive in the order of its moves, so each day's sales in
    /// this batch are one addition, conditioned on the counter having counted none of them; when a redelivery overlaps
    /// what was counted, only the moves after the counter's last one are added (conditioned on that one).
    /// </summary>
    private async Task CountAsync(List<StockMovement> sales, CancellationToken ct)
    {
        foreach (var day in sales.GroupBy(s => StockCover.DayOf(s.At)))
        {
            var moves = day.OrderBy(s => s.Sequence).ToList();
            var first = moves[0];
            var key = CounterKey(first.ProductId, first.WarehouseId, day.Key);
            long? counted = null;
            for (var attempt = 1; ; attempt++)
            {
                var pending = moves.Where(m => counted is null || m.Sequence > counted).ToList();
                if (pending.Count == 0)
                {
                    break;
                }

                var names = new Dictionary<string, string>
                {
                    ["#u"] = Attr.UnitsSold, ["#seq"] = Attr.LastMoveSequence, ["#ttl"] = Attr.Ttl, ["#w"] = Attr.WarehouseId,
                };
                var values = new Dictionary<string, AttributeValue>
                {
                    [":u"] = Items.N(pending.Sum(m => m.Quantity)),
                    [":last"] = Items.N(pending[^1].Sequence),
                    [":ttl"] = Items.N(new DateTimeOffset(day.Key.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(CounterRetentionDays).ToUnixTimeSeconds()),
                    [":w"] = Items.S(first.WarehouseId),
                };
                string condition;
                if (counted is { } done)
                {
                    values[":done"] = Items.N(done);
                    condition = "#seq = :done";
                }
                else
                {
                    values[":first"] = Items.N(pending[0].Sequence);
                    condition = "attribute_not_exists(#seq) OR #seq < :first";
                }

                Dictionary<string, AttributeValue>? old = null;
                var updated = await writes.UpdateAsync(new UpdateItemRequest
                {
                    TableName = table,
                    Key = key,
                    UpdateExpression = "ADD #u :u SET #seq = :last, #ttl = :ttl, #w = :w",
                    ConditionExpression = condition,
                    ExpressionAttributeNames = names,
                    ExpressionAttributeValues = values,
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                }, e => old = e.Item, ct);
                if (updated is not null)
                {
                    break;
                }

                if (attempt >= writeAttempts)
                {
                    throw new InvalidOperationException($"The sales counter of {first.ProductId}/{first.WarehouseId} on {day.Key:yyyy-MM-dd} kept moving ({attempt} attempts)");
                }

                counted = old is not null && old.ContainsKey(Attr.LastMoveSequence) ? Items.Long(old, Attr.LastMoveSequence) : 0;
            }
        }
    }

    /// <summary>
    /// Evaluates the row's cover and stores it, with the alert when it goes below the lead time. The write is pinned to the
    /// state as read (its flag, and an older move number, or with <paramref name="sameMoveAgain"/> the same one), so of two
    /// evaluations of the same change only one writes, and only a crossing alerts.
    /// </summary>
    /// <summary>
    /// Whether the row's cover item says it sold anything in the last 28 days. A change without a sale of a row that has
    /// not sold (holds and releases on a quiet row: most of a busy table's changes) leaves its pace at zero and its days
    /// of cover unknown, so it costs one read instead of an evaluation's four requests. A pace only falls without sales,
    /// so a zero stays a zero until the next sale, which is always evaluated.
    /// </summary>
    private async Task<bool> HasPaceAsync(InventoryRow row, CancellationToken ct)
    {
        var state = (await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = StateKey(row.ProductId, row.WarehouseId),
            ProjectionExpression = "#v28",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#v28"] = Attr.Velocity28Days },
            ConsistentRead = true,
        }, ct)).Item;
        return state is { Count: > 0 } && (Items.Decimal(state, Attr.Velocity28Days) ?? 0) > 0;
    }

    private async Task EvaluateAsync(InventoryRow row, int? leadTime, bool sameMoveAgain, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        var today = StockCover.DayOf(now);
        // A hot row's sales are counted by each of its sub-rows (every one it has had): their days add up.
        var sales = new List<DailySales>();
        foreach (var counted in row.HistoryKeys)
        {
            sales.AddRange(await Reads.QueryAllAsync(dynamo, new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "#p = :p AND #k BETWEEN :from AND :to",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId, ["#k"] = Attr.VelocityKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":p"] = Items.S(counted),
                    [":from"] = CounterKey(counted, row.WarehouseId, StockCover.WindowStart(today))[Attr.VelocityKey],
                    [":to"] = CounterKey(counted, row.WarehouseId, today)[Attr.VelocityKey],
                },
                ConsistentRead = true,
            }, ct).Select(item => new DailySales(DayOfCounter(Items.Str(item, Attr.VelocityKey)!), Items.Long(item, Attr.UnitsSold))).ToListAsync(ct));
        }

        sales = sales.GroupBy(d => d.Day).Select(g => new DailySales(g.Key, g.Sum(d => d.Units))).ToList();
        var cover = StockCover.Compute(sales, today, row.AvailableCount, leadTime);
        var key = StateKey(row.ProductId, row.WarehouseId);

        for (var attempt = 1; ; attempt++)
        {
            var state = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = key, ConsistentRead = true }, ct)).Item;
            var stored = state is { Count: > 0 } ? state : null;
            var storedMove = stored is not null && stored.ContainsKey(Attr.LastMoveSequence) ? Items.Long(stored, Attr.LastMoveSequence) : (long?)null;
            if (storedMove is { } seen && (seen > row.MoveSequence || (seen == row.MoveSequence && !sameMoveAgain)))
            {
                return; // this change, or a later one, was evaluated already
            }

            var wasBelow = stored is not null && stored.TryGetValue(Attr.RunsOutSoon, out var flag) && flag.BOOL == true;
            var crossing = StockCover.Crossing(wasBelow, cover.RunsOutSoon);
            var write = StateWrite(row, cover, now, storedMove, wasBelow);
            bool committed;
            if (crossing == CoverCrossing.FellBelow)
            {
                var transaction = new Transaction();
                transaction.Add(new TransactWriteItem { Update = write });
                transaction.Add(alerts.RunsOutSoon(row, cover, now));
                committed = (await writes.CommitAsync(transaction, ct)).IsCommitted;
            }
            else
            {
                // Without an alert the state is one item: a plain conditional update costs half a transaction's write units.
                committed = await writes.UpdateAsync(new UpdateItemRequest
                {
                    TableName = write.TableName,
                    Key = write.Key,
                    UpdateExpression = write.UpdateExpression,
                    ConditionExpression = write.ConditionExpression,
                    ExpressionAttributeNames = write.ExpressionAttributeNames,
                    ExpressionAttributeValues = write.ExpressionAttributeValues,
                }, onConditionFailed: null, ct) is not null;
            }

            if (committed)
            {
                if (crossing == CoverCrossing.FellBelow)
                {
                    logger.LogInformation(
                        "{ProductId} in warehouse {WarehouseId} runs out soon: {DaysOfCover} days of cover, lead time {LeadTimeDays} days",
                        row.ProductId, row.WarehouseId, cover.DaysOfCover, cover.LeadTimeDays);
                }

                return;
            }

            if (attempt >= writeAttempts)
            {
                throw new InvalidOperationException($"The cover of {row.ProductId}/{row.WarehouseId} kept moving under its write ({attempt} attempts)");
            }
        }
    }

    private Update StateWrite(InventoryRow row, StockCover cover, DateTimeOffset now, long? storedMove, bool wasBelow)
    {
        var names = new Dictionary<string, string>
        {
            ["#w"] = Attr.WarehouseId, ["#a"] = Attr.AvailableCount, ["#s7"] = Attr.Sold7Days, ["#s28"] = Attr.Sold28Days,
            ["#v7"] = Attr.Velocity7Days, ["#v28"] = Attr.Velocity28Days, ["#r"] = Attr.RunsOutSoon, ["#seq"] = Attr.LastMoveSequence,
            ["#at"] = Attr.ComputedAt, ["#d"] = Attr.DaysOfCover, ["#lt"] = Attr.LeadTimeDays, ["#l"] = Attr.CoverList, ["#rank"] = Attr.CoverRank,
        };
        var values = new Dictionary<string, AttributeValue>
        {
            [":w"] = Items.S(row.WarehouseId), [":a"] = Items.N(row.AvailableCount), [":s7"] = Items.N(cover.Sold7Days),
            [":s28"] = Items.N(cover.Sold28Days), [":v7"] = Items.N(cover.Velocity7Days), [":v28"] = Items.N(cover.Velocity28Days),
            [":r"] = new AttributeValue { BOOL = cover.RunsOutSoon }, [":seq"] = Items.N(row.MoveSequence), [":at"] = Items.Time(now),
        };
        var set = new List<string> { "#w = :w", "#a = :a", "#s7 = :s7", "#s28 = :s28", "#v7 = :v7", "#v28 = :v28", "#r = :r", "#seq = :seq", "#at = :at" };
        var remove = new List<string>();
        if (cover.DaysOfCover is { } days)
        {
            values[":d"] = Items.N(days);
            values[":l"] = Items.S(CoverRecords.ListName);
            values[":rank"] = Items.S(Rank(days, row.ProductId, row.WarehouseId));
            set.AddRange(["#d = :d", "#l = :l", "#rank = :rank"]);
        }
        else
        {
            remove.AddRange(["#d", "#l", "#rank"]); // no sales in the window: no cover to list by
        }

        if (cover.LeadTimeDays is { } lead)
        {
            values[":lt"] = Items.N(lead);
            set.Add("#lt = :lt");
        }
        else
        {
            remove.Add("#lt");
        }

        string condition;
        if (storedMove is { } move)
        {
            values[":seen"] = Items.N(move);
            values[":was"] = new AttributeValue { BOOL = wasBelow };
            condition = "#seq = :seen AND " + (wasBelow ? "#r = :was" : "(attribute_not_exists(#r) OR #r = :was)");
        }
        else
        {
            condition = "attribute_not_exists(#seq)";
        }

        return new Update
        {
            TableName = table,
            Key = StateKey(row.ProductId, row.WarehouseId),
            UpdateExpression = "SET " + string.Join(", ", set) + (remove.Count > 0 ? " REMOVE " + string.Join(", ", remove) : string.Empty),
            ConditionExpression = condition,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
    }

    private async Task<int?> LeadTimeAsync(string productId, CancellationToken ct)
    {
        var item = (await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = productsTable,
            Key = Items.ProductKey(productId),
            ProjectionExpression = "#l",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#l"] = Attr.LeadTimeDays },
            ConsistentRead = true,
        }, ct)).Item;
        return item is { Count: > 0 } && item.ContainsKey(Attr.LeadTimeDays) ? (int)Items.Long(item, Attr.LeadTimeDays) : null;
    }

    private static Dictionary<string, AttributeValue> StateKey(string productId, string warehouseId) => new()
    {
        [Attr.ProductId] = Items.S(productId),
        [Attr.VelocityKey] = Items.S($"cover#{warehouseId}"),
    };

    private static Dictionary<string, AttributeValue> CounterKey(string productId, string warehouseId, DateOnly day) => new()
    {
        [Attr.ProductId] = Items.S(productId),
        [Attr.VelocityKey] = Items.S($"day#{warehouseId}#{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"),
    };

    private static DateOnly DayOfCounter(string key) =>
        DateOnly.ParseExact(key[(key.LastIndexOf('#') + 1)..], "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Days of cover in hundredths, zero-padded (text order is number order), then the row: the cover index's sort key.</summary>
    private static string Rank(decimal days, string productId, string warehouseId) =>
        $"{((long)Math.Round(days * 100)).ToString("D16", CultureInfo.InvariantCulture)}#{productId}#{warehouseId}";

    private sealed class RowMoves(int first)
    {
        public int First { get; } = first;

        public List<StockMovement> Sales { get; } = [];

        public (StockMovement Movement, Dictionary<string, AttributeValue> Image)? Latest { get; set; }
    }
}
