using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>What a history listing keeps; null means no bound.</summary>
public sealed record HistoryFilter(MoveKind? Kind, DateTimeOffset? From, DateTimeOffset? To)
{
    public bool Matches(StockMovement entry) =>
        (Kind is null || entry.Kind == Kind) && (From is null || entry.At >= From) && (To is null || entry.At <= To);
}

public sealed record HistoryPage(IReadOnlyList<StockMovement> Entries, string? NextToken);

/// <summary>
/// The history table: an entry per move of a row, keyed by the row and its move number (written by the history
/// projection from the change stream), and the listings that read it back newest first.
/// </summary>
public sealed class HistoryRecords(IAmazonDynamoDB dynamo, Writes writes, IOptions<StorageOptions> storage, IOptions<HistoryOptions> options)
{
    /// <summary>At most this many entries are read to answer one page (filters may skip most of what is read); the page then ends early, with a token.</summary>
    private const int ReadBudget = 1000;

    /// <summary>
    /// A row's entries are in the order of its changes, which is also the order of their times up to the writers'
    /// clock skew: past an entry this much older than a listing's <c>from</c>, no older one can match.
    /// </summary>
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <summary>Page-token values for a warehouse whose entries have not been read yet, and for one read to its end.</summary>
    private const string NotStarted = "^";
    private const string Exhausted = "~";

    private readonly string table = storage.Value.HistoryTable;
    private readonly int retentionDays = Math.Max(1, options.Value.RetentionDays);

    /// <summary>
    /// Writes up to <see cref="Writes.MaxBatchWriteItems"/> entries. Each is a pure function of its move, so writing one
    /// again writes the same item; a batch may not name one key twice, so a move handed over twice is sent once.
    /// </summary>
    public Task PutAsync(IReadOnlyList<StockMovement> entries, CancellationToken ct) =>
        writes.PutBatchAsync(table, entries.GroupBy(m => (m.ProductId, m.WarehouseId, m.Sequence)).Select(g => ToItem(g.Last())).ToList(), ct);

    /// <summary>
    /// One page of a product's history, newest first, from <paramref name="rows"/> (a stored product key, which is a hot
    /// row's sub-row for some, and a warehouse). Each row's entries
    /// come in the exact reverse order of its changes; the rows' entries are merged by time. A page may hold fewer than
    /// <paramref name="limit"/> entries (the filter skipped what was read) while its token says there is more.
    /// </summary>
    public async Task<HistoryPage> ListAsync(
        string productId, IReadOnlyList<(string Key, string Warehouse)> rows, HistoryFilter filter, int limit, string? nextToken, CancellationToken ct)
    {
        var streams = StreamsOf(productId, rows, nextToken);
        var page = new List<StockMovement>(limit);
        var read = 0;
        while (page.Count < limit)
        {
            // Every row still being read needs its next entry in hand before any row's entry is taken: only then is the
            // newest of them known.
            var outOfBudget = false;
            foreach (var stream in streams.Where(s => s.Pending.Count == 0 && !s.Done))
            {
                if (read >= ReadBudget)
                {
                    outOfBudget = true;
                    break;
                }

                read += await FillAsync(stream, filter, Math.Max(limit, 25), ct);
            }

            if (outOfBudget)
            {
                break;
            }

            var newest = streams.Where(s => s.Pending.Count > 0)
                .OrderByDescending(s => s.Pending.Peek().At).ThenBy(s => s.Warehouse, StringComparer.Ordinal).ThenBy(s => s.Key, StringComparer.Ordinal).FirstOrDefault();
            if (newest is null)
            {
                if (streams.All(s => s.Done))
                {
                    break;
                }

                continue; // what was read was all filtered out: read on
            }

            page.Add(newest.Pending.Dequeue());
        }

        var more = streams.Any(s => s.Pending.Count > 0 || !s.Done);
        return new HistoryPage(page, more ? Token(productId, streams) : null);
    }

    /// <summary>
    /// What a listing of these rows' history reads (one warehouse's, or all when <paramref name="warehouseId"/> is null):
    /// each row, and each sub-row a hot row has ever had, in warehouse order.
    /// </summary>
    public static List<(string Key, string Warehouse)> Sources(IEnumerable<InventoryRow> rows, string? warehouseId) =>
        rows.Where(r => warehouseId is null || r.WarehouseId == warehouseId).OrderBy(r => r.WarehouseId, StringComparer.Ordinal)
            .SelectMany(r => r.HistoryKeys.Select(key => (key, r.WarehouseId))).ToList();

    /// <summary>Every kept entry of one row, oldest first: for the drift report and the tests.</summary>
    public async Task<List<StockMovement>> RowEntriesAsync(string productId, string warehouseId, CancellationToken ct) =>
        await Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#p = :p AND begins_with(#k, :w)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId, ["#k"] = Attr.MoveKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":p"] = Items.S(productId), [":w"] = Items.S(warehouseId + "#") },
            ConsistentRead = true,
        }, ct).Select(ToMovement).ToListAsync(ct);

    /// <summary>Reads a row's next entries, newest first, keeping those the filter keeps. Returns how many were read.</summary>
    private async Task<int> FillAsync(RowStream stream, HistoryFilter filter, int chunk, CancellationToken ct)
    {
        var productId = stream.Key;
        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#p = :p AND begins_with(#k, :w)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId, ["#k"] = Attr.MoveKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":p"] = Items.S(productId),
                [":w"] = Items.S(stream.Warehouse + "#"),
            },
            ExclusiveStartKey = stream.ReadFrom is { } from
                ? new Dictionary<string, AttributeValue> { [Attr.ProductId] = Items.S(productId), [Attr.MoveKey] = Items.S(from) }
                : null,
            ScanIndexForward = false,
            Limit = Math.Min(100, chunk),
            ConsistentRead = true,
        }, ct);
        var items = response.Items ?? [];
        foreach (var entry in items.Select(ToMovement))
        {
            stream.ReadFrom = MoveKeyOf(stream.Warehouse, entry.Sequence);
            if (filter.From is { } earliest && entry.At < earliest - ClockSkewAllowance)
            {
                stream.Done = true; // older than anything the listing wants, and so is everything before it
                return items.Count;
            }

            if (filter.Matches(entry))
            {
                stream.Pending.Enqueue(entry);
            }
        }

        stream.Done = response.LastEvaluatedKey is not { Count: > 0 };
        return items.Count;
    }

    /// <summary>The rows a listing reads and where each stands: from the token, or (on the first page) at each row's newest entry.</summary>
    private static List<RowStream> StreamsOf(string productId, IReadOnlyList<(string Key, string Warehouse)> rows, string? token)
    {
        var start = PageToken.Decode(token, [(Attr.ProductId, productId), .. rows.Select(r => (TokenKey(r.Key, r.Warehouse), (string?)null))]);
        var streams = new List<RowStream>(rows.Count);
        foreach (var (key, warehouse) in rows)
        {
            var value = start?[TokenKey(key, warehouse)].S ?? NotStarted;
            var position = value is NotStarted or Exhausted ? null : value;
            if (position is not null && !(position.StartsWith(warehouse + "#", StringComparison.Ordinal)
                && position.Length == warehouse.Length + 21 && position[(warehouse.Length + 1)..].All(char.IsAsciiDigit)))
            {
                throw PageToken.InvalidToken();
            }

            streams.Add(new RowStream(key, warehouse) { ReadFrom = position, Done = value == Exhausted });
        }

        return streams;
    }

    /// <summary>
    /// Where each row stands after this page: just before its first entry read but not taken (the key one above it,
    /// which need not exist: the next read starts below it), else where its reading stopped.
    /// </summary>
    private static string? Token(string productId, List<RowStream> streams)
    {
        var key = new Dictionary<string, AttributeValue>(StringComparer.Ordinal) { [Attr.ProductId] = Items.S(productId) };
        foreach (var stream in streams)
        {
            var position = stream.Pending.Count > 0 ? MoveKeyOf(stream.Warehouse, stream.Pending.Peek().Sequence + 1)
                : stream.Done ? Exhausted
                : stream.ReadFrom ?? NotStarted;
            key[TokenKey(stream.Key, stream.Warehouse)] = Items.S(position);
        }

        return PageToken.Encode(key);
    }

    /// <summary>A row's place in a page token: its warehouse, and for a hot row's sub-row also which one.</summary>
    private static string TokenKey(string key, string warehouse) =>
        SubRows.IsSubRow(key) ? $"w:{warehouse}{SubRows.Separator}{SubRows.IndexOf(key).ToString(CultureInfo.InvariantCulture)}" : "w:" + warehouse;

    private static string MoveKeyOf(string warehouseId, long sequence) =>
        $"{warehouseId}#{sequence.ToString("D20", CultureInfo.InvariantCulture)}";

    private Dictionary<string, AttributeValue> ToItem(StockMovement m)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [Attr.ProductId] = Items.S(m.ProductId),
            [Attr.MoveKey] = Items.S(MoveKeyOf(m.WarehouseId, m.Sequence)),
            [Attr.WarehouseId] = Items.S(m.WarehouseId),
            [Attr.MoveSequence] = Items.N(m.Sequence),
            [Attr.EntryKind] = Items.S(m.Kind.ToString()),
            [Attr.Quantity] = Items.N(m.Quantity),
            [Attr.EntryBy] = Items.S(m.By),
            [Attr.StockBefore] = Items.N(m.Before.Stock),
            [Attr.ReservedBefore] = Items.N(m.Before.Reserved),
            [Attr.AvailableBefore] = Items.N(m.Before.Available),
            [Attr.ThresholdBefore] = Items.N(m.Before.Threshold),
            [Attr.StockAfter] = Items.N(m.After.Stock),
            [Attr.ReservedAfter] = Items.N(m.After.Reserved),
            [Attr.AvailableAfter] = Items.N(m.After.Available),
            [Attr.ThresholdAfter] = Items.N(m.After.Threshold),
            [Attr.EntryAt] = Items.Time(m.At),
            // From the change's own time, not the writer's clock now: the same record always makes the same item.
            [Attr.Ttl] = Items.N(m.At.AddDays(retentionDays).ToUnixTimeSeconds()),
        };
        if (m.Reason is not null)
        {
            item[Attr.EntryReason] = Items.S(m.Reason);
        }

        if (m.Reference is not null)
        {
            item[Attr.EntryReference] = Items.S(m.Reference);
        }

        return item;
    }

    private static StockMovement ToMovement(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.ProductId)!,
        Items.Str(item, Attr.WarehouseId)!,
        Items.Long(item, Attr.MoveSequence),
        Enum.Parse<MoveKind>(Items.Str(item, Attr.EntryKind)!),
        Items.Long(item, Attr.Quantity),
        new StockCounts(Items.Long(item, Attr.StockBefore), Items.Long(item, Attr.ReservedBefore), Items.Long(item, Attr.AvailableBefore), Items.Long(item, Attr.ThresholdBefore)),
        new StockCounts(Items.Long(item, Attr.StockAfter), Items.Long(item, Attr.ReservedAfter), Items.Long(item, Attr.AvailableAfter), Items.Long(item, Attr.ThresholdAfter)),
        Items.Str(item, Attr.EntryBy) ?? string.Empty,
        Items.Str(item, Attr.EntryReason),
        Items.Str(item, Attr.EntryReference),
        Items.Timestamp(item, Attr.EntryAt));

    /// <summary>One row's entries in a listing: where its reading stands and the entries read but not yet taken.</summary>
    private sealed class RowStream(string key, string warehouse)
    {
        /// <summary>The stored product key: the product, or one of its hot row's sub-rows.</summary>
        public string Key { get; } = key;

        public string Warehouse { get; } = warehouse;

        /// <summary>The key below which reading goes on (newest first); null to start at the newest entry.</summary>
        public string? ReadFrom { get; set; }

        /// <summary>Nothing more to read for this listing.</summary>
        public bool Done { get; set; }

        /// <summary>Entries read that the filter keeps, newest first, not yet on a page.</summary>
        public Queue<StockMovement> Pending { get; } = new();
    }
}
