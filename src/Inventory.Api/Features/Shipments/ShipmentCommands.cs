using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;
using Inventory.Api.Storage;
using Inventory.Api.Infrastructure;

namespace Inventory.Api.Features.Shipments;

public sealed record NewShipmentLine(string ProductId, long ExpectedQuantity, DateOnly ExpectedDate, bool AllowOverReceipt);

public sealed record NewShipment(string ShipmentId, string SupplierReference, string WarehouseId, IReadOnlyList<NewShipmentLine> Lines)
{
    /// <summary>What the request asked for, to tell a repeat of it from another shipment that reuses its id.</summary>
    public string Fingerprint => Domain.Fingerprint.Of(
        "shipment", SupplierReference, WarehouseId,
        string.Join(';', Lines.Select(l => $"{l.ProductId}|{l.ExpectedQuantity}|{l.ExpectedDate:yyyy-MM-dd}|{l.AllowOverReceipt}")));
}

public sealed record ShipmentResult(Shipment Shipment, bool Replayed);

public sealed record ReceiptResult(Receipt Receipt, Shipment Shipment, bool Replayed);

public sealed record ShipmentLinePage(IReadOnlyList<ShipmentLine> Lines, string? NextToken);

/// <summary>
/// Inbound shipments and their receipts, in one table with two kinds of partition:
/// <list type="bullet">
/// <item>a product's (its id): one line item per shipment that brings it (<c>line#&lt;shipment&gt;</c>), carrying
/// <c>open_key</c> (<c>expected_date#shipment</c>) only while it still brings units, so the sparse local index
/// <c>open-lines-index</c> holds a product's open lines and nothing else, sorted by date: what
/// <c>GET /inventory/{id}</c> reads, in one strongly consistent Query;</item>
/// <item>a shipment's (<c>shipment#&lt;id&gt;</c>; ids never contain '#'): the shipment item (<c>shipment</c>) and one
/// item per receipt (<c>receipt#&lt;id&gt;</c>), which is the receipt's idempotency record for as long as the
/// shipment is kept.</item>
/// </list>
/// A receipt raises each row's stock and its line's received count, and writes its own record, in one
/// TransactWriteItems: 2 actions per line, plus the receipt and the shipment's open check.
/// </summary>
public sealed class ShipmentCommands(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, InventoryStore inventory, IOptions<StorageOptions> options, IOptions<AttemptOptions> attempts,
    TimeProvider clock, ILogger<ShipmentCommands> logger)
{
    private readonly int receiptAttempts = attempts.Value.ShipmentReceipt;

    /// <summary>Lines of one shipment: its creation is the shipment, a line and a check of its stock row per line (1 + 2 x 49 actions).</summary>
    public const int MaxShipmentLines = 49;

    /// <summary>Lines of one receipt: a row and a line per line, plus the receipt record and the shipment's check (2 x 49 + 2 actions).</summary>
    public const int MaxReceiptLines = 49;

    private const string ShipmentItem = "shipment";
    private const string LinePrefix = "line#";
    private const string ReceiptPrefix = "receipt#";

    private readonly string table = options.Value.ShipmentsTable;
    private readonly string inventoryTable = options.Value.InventoryTable;

    public static string ShipmentPartition(string shipmentId) => "shipment#" + shipmentId;

    /// <summary>Creates the shipment with its lines, each for a stock row that exists; the same request again answers the shipment.</summary>
    public async Task<ShipmentResult> CreateAsync(NewShipment request, Actor by, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        var transaction = new Transaction();
        var header = new Dictionary<string, AttributeValue>
        {
            [Attr.PartitionKey] = Items.S(ShipmentPartition(request.ShipmentId)),
            [Attr.ItemKey] = Items.S(ShipmentItem),
            [Attr.ShipmentId] = Items.S(request.ShipmentId),
            [Attr.SupplierReference] = Items.S(request.SupplierReference),
            [Attr.WarehouseId] = Items.S(request.WarehouseId),
            [Attr.CreatedAt] = Items.Time(now),
            [Attr.CreatedBy] = Items.S(by.Name),
            [Attr.Fingerprint] = Items.S(request.Fingerprint),
            [Attr.ShipmentLines] = new AttributeValue { L = request.Lines.Select(l => Items.S(l.ProductId)).ToList() },
        };
        var created = transaction.Add(Put(header));
        var checks = new List<(ActionHandle Handle, string ProductId)>();
        foreach (var line in request.Lines)
        {
            var item = LineKey(line.ProductId, request.ShipmentId);
            item[Attr.ShipmentId] = Items.S(request.ShipmentId);
            item[Attr.ProductId] = Items.S(line.ProductId);
            item[Attr.WarehouseId] = Items.S(request.WarehouseId);
            item[Attr.SupplierReference] = Items.S(request.SupplierReference);
            item[Attr.ExpectedQuantity] = Items.N(line.ExpectedQuantity);
            item[Attr.ReceivedQuantity] = Items.N(0);
            item[Attr.ExpectedDate] = Items.S(Date(line.ExpectedDate));
            item[Attr.AllowOverReceipt] = new AttributeValue { BOOL = line.AllowOverReceipt };
            item[Attr.OpenKey] = Items.S(OpenKeyOf(line.ExpectedDate, request.ShipmentId));
            item[Attr.CreatedAt] = Items.Time(now);
            transaction.Add(Put(item));
            checks.Add((transaction.Add(new TransactWriteItem
            {
                ConditionCheck = new ConditionCheck
                {
                    TableName = inventoryTable,
                    Key = Items.InventoryKey(line.ProductId, request.WarehouseId),
                    ConditionExpression = "attribute_exists(#p)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId },
                },
            }), line.ProductId));
        }

        var outcome = await writes.CommitAsync(transaction, ct);
        if (outcome.IsCommitted)
        {
            var lines = request.Lines.Select(l => new ShipmentLine(
                request.ShipmentId, request.SupplierReference, l.ProductId, request.WarehouseId, l.ExpectedQuantity, 0, l.ExpectedDate, l.AllowOverReceipt, Open: true)).ToList();
            return new ShipmentResult(
                new Shipment(request.ShipmentId, request.SupplierReference, request.WarehouseId, now, by.Name, null, lines, [], request.Fingerprint), Replayed: false);
        }

        if (outcome.Failed(created) || !checks.Any(c => outcome.Failed(c.Handle)))
        {
            // The id is taken: by this very request (a repeat answers it) or by another shipment.
            var existing = await GetAsync(request.ShipmentId, ct);
            return existing is not null && existing.Fingerprint == request.Fingerprint
                ? new ShipmentResult(existing, Replayed: true)
                : throw Problems.IdempotencyConflict(request.ShipmentId);
        }

        var missing = checks.First(c => outcome.Failed(c.Handle));
        throw await inventory.MissingRowProblemAsync(missing.ProductId, request.WarehouseId, ct);
    }

    /// <summary>The shipment with its lines and receipts (strongly consistent), or null.</summary>
    public async Task<Shipment?> GetAsync(string shipmentId, CancellationToken ct)
    {
        Dictionary<string, AttributeValue>? header = null;
        var receipts = new List<Receipt>();
        await foreach (var item in Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = table,
            KeyConditionExpression = "#pk = :pk",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = Items.S(ShipmentPartition(shipmentId)) },
            ConsistentRead = true,
        }, ct))
        {
            var kind = Items.Str(item, Attr.ItemKey)!;
            if (kind == ShipmentItem)
            {
                header = item;
            }
            else if (kind.StartsWith(ReceiptPrefix, StringComparison.Ordinal))
            {
                receipts.Add(ToReceipt(item));
            }
        }

        if (header is null)
        {
            return null;
        }

        var products = header[Attr.ShipmentLines].L.Select(v => v.S).ToList();
        var found = (await Reads.BatchGetAllAsync(dynamo, table, products.Select(p => LineKey(p, shipmentId)).ToList(), ct))
            .Select(ToLine).ToDictionary(l => l.ProductId, StringComparer.Ordinal);
        return new Shipment(
            shipmentId,
            Items.Str(header, Attr.SupplierReference)!,
            Items.Str(header, Attr.WarehouseId)!,
            Items.Timestamp(header, Attr.CreatedAt),
            Items.Str(header, Attr.CreatedBy) ?? string.Empty,
            header.ContainsKey(Attr.ClosedAt) ? Items.Timestamp(header, Attr.ClosedAt) : null,
            products.Select(p => found.GetValueOrDefault(p)).OfType<ShipmentLine>().ToList(),
            receipts.OrderBy(r => r.ReceivedAt).ThenBy(r => r.ReceiptId, StringComparer.Ordinal).ToList(),
            Items.Str(header, Attr.Fingerprint) ?? string.Empty);
    }

    /// <summary>Every open line of a product (strongly consistent, earliest expected first): its incoming units.</summary>
    public async Task<List<ShipmentLine>> OpenLinesAsync(string productId, CancellationToken ct) =>
        await Reads.QueryAllAsync(dynamo, OpenLinesQuery(productId, limit: null, start: null), ct).Select(ToLine).ToListAsync(ct);

    /// <summary>
    /// <see cref="OpenLinesAsync"/>, or null when they cannot be read now (logged): a product page must not fail for want
    /// of a delivery date. Never throws but for cancellation.
    /// </summary>
    public async Task<List<ShipmentLine>?> OpenLinesOrNullAsync(string productId, CancellationToken ct)
    {
        try
        {
            return await OpenLinesAsync(productId, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Open shipment lines of {ProductId} not read; its stock is answered without incoming units", productId);
            return null;
        }
    }

    /// <summary>A page of a product's shipment lines: the open ones (earliest expected first), or all of them (by shipment id).</summary>
    public async Task<ShipmentLinePage> ListLinesAsync(string productId, bool openOnly, int limit, string? nextToken, CancellationToken ct)
    {
        var request = openOnly
            ? OpenLinesQuery(productId, limit, PageToken.Decode(nextToken, (Attr.PartitionKey, productId), (Attr.ItemKey, null), (Attr.OpenKey, null)))
            : new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "#pk = :pk AND begins_with(#ik, :line)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey, ["#ik"] = Attr.ItemKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = Items.S(productId), [":line"] = Items.S(LinePrefix) },
                ConsistentRead = true,
                Limit = limit,
                ExclusiveStartKey = PageToken.Decode(nextToken, (Attr.PartitionKey, productId), (Attr.ItemKey, null)),
            };
        var page = await dynamo.QueryAsync(request, ct);
        return new ShipmentLinePage((page.Items ?? []).Select(ToLine).ToList(), PageToken.Encode(page.LastEvaluatedKey));
    }

    /// <summary>
    /// Books a receipt: each line's units onto its stock row and its shipment line's received count, with the receipt's
    /// record, all in one transaction. The same receipt id again answers the first receipt and changes nothing.
    /// </summary>
    public async Task<ReceiptResult> ReceiveAsync(string shipmentId, string receiptId, IReadOnlyList<ReceiptLine> lines, Actor by, CancellationToken ct)
    {
        var fingerprint = Domain.Fingerprint.Of("receipt", shipmentId, string.Join(';', lines.OrderBy(l => l.ProductId, StringComparer.Ordinal).Select(l => $"{l.ProductId}|{l.Quantity}")));
        for (var attempt = 1; attempt <= receiptAttempts; attempt++)
        {
            var shipment = await GetAsync(shipmentId, ct) ?? throw Problems.ShipmentNotFound(shipmentId);
            if (shipment.Receipts.FirstOrDefault(r => r.ReceiptId == receiptId) is { } earlier)
            {
                return earlier.Fingerprint == fingerprint ? new ReceiptResult(earlier, shipment, Replayed: true) : throw Problems.IdempotencyConflict(receiptId);
            }

            // The shipment's receipts and its lines are two reads: a receipt that committed between them is in the lines'
            // counts but not in the list. Replay before refusing: a refusal first looks for this receipt's own record.
            var refusal = shipment.Closed ? Problems.ShipmentClosed(shipmentId, shipment.ClosedAt) : null;
            if (refusal is null)
            {
                var unknown = new Validator();
                for (var i = 0; i < lines.Count; i++)
                {
                    unknown.Check(shipment.Lines.Any(l => l.ProductId == lines[i].ProductId), $"lines[{i}].product_id", $"'{lines[i].ProductId}' is not on shipment '{shipmentId}'.");
                }

                unknown.ThrowIfInvalid();
                refusal = shipment.OverReceived(lines) is { Count: > 0 } over ? Problems.OverReceipt(shipmentId, over) : null;
            }

            if (refusal is not null)
            {
                if (await RecordedReceiptAsync(shipmentId, receiptId, ct) is not { } recorded)
                {
                    throw refusal;
                }

                if (recorded.Fingerprint != fingerprint)
                {
                    throw Problems.IdempotencyConflict(receiptId);
                }

                continue; // recorded after all: the next round reads it with the shipment and answers it
            }

            var now = clock.UtcNowMillis();
            var receipt = new Receipt(receiptId, shipmentId, lines, now, by.Name, fingerprint);
            var transaction = new Transaction();
            var open = transaction.Add(new TransactWriteItem
            {
                ConditionCheck = new ConditionCheck
                {
                    TableName = table,
                    Key = ShipmentKey(shipmentId),
                    ConditionExpression = "attribute_exists(#pk) AND attribute_not_exists(#closed)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey, ["#closed"] = Attr.ClosedAt },
                },
            });
            var record = transaction.Add(Put(ReceiptItem(receipt)));
            var lineWrites = new List<ActionHandle>();
            var rowWrites = new List<(ActionHandle Handle, ShipmentLine Line)>();
            var cause = new MoveCause(MoveKind.RECEIPT, by, $"shipment {shipmentId} ({shipment.SupplierReference})", $"{shipmentId}/{receiptId}");
            foreach (var received in lines)
            {
                var line = shipment.Lines.First(l => l.ProductId == received.ProductId);
                lineWrites.Add(transaction.Add(ReceiveOnLine(line, received.Quantity, now)));
                rowWrites.Add((transaction.Add(rows.Arrive(line.ProductId, line.WarehouseId, received.Quantity, now, cause)), line));
            }

            var outcome = await writes.CommitAsync(transaction, ct);
            if (outcome.IsCommitted)
            {
                var after = shipment with
                {
                    Lines = shipment.Lines.Select(l => lines.FirstOrDefault(r => r.ProductId == l.ProductId) is { } r
                        ? l with { ReceivedQuantity = l.ReceivedQuantity + r.Quantity, Open = ShipmentLine.StillExpected(l.ExpectedQuantity, l.ReceivedQuantity + r.Quantity) }
                        : l).ToList(),
                    Receipts = [.. shipment.Receipts, receipt],
                };
                return new ReceiptResult(receipt, after, Replayed: false);
            }

            if (rowWrites.FirstOrDefault(w => outcome.Failed(w.Handle)) is { Line: not null } failedRow
                && !outcome.Failed(open) && !outcome.Failed(record) && !lineWrites.Any(outcome.Failed))
            {
                var current = outcome.OldItem(failedRow.Handle) is { } old
                    ? Items.ToRow(old)
                    : throw await inventory.MissingRowProblemAsync(failedRow.Line.ProductId, failedRow.Line.WarehouseId, ct);
                throw Problems.StockLimit(current.StockCount, lines.First(l => l.ProductId == failedRow.Line.ProductId).Quantity);
            }

            // Another receipt of these lines, this receipt itself (a repeat racing the first call), or a close got there
            // first: read again, and the next round answers from what is there now.
            logger.LogInformation("Receipt {ReceiptId} on shipment {ShipmentId} met a concurrent change (attempt {Attempt}); reading again", receiptId, shipmentId, attempt);
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * Math.Min(attempt, 8))), ct);
        }

        throw Problems.Busy();
    }

    /// <summary>This receipt's record, read strongly consistent, or null.</summary>
    private async Task<Receipt?> RecordedReceiptAsync(string shipmentId, string receiptId, CancellationToken ct)
    {
        var stored = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new Dictionary<string, AttributeValue>
            {
                [Attr.PartitionKey] = Items.S(ShipmentPartition(shipmentId)),
                [Attr.ItemKey] = Items.S(ReceiptPrefix + receiptId),
            },
            ConsistentRead = true,
        }, ct);
        return stored.Item is { Count: > 0 } item ? ToReceipt(item) : null;
    }

    /// <summary>Closes the shipment: what it has not delivered is no longer incoming. Closing it again answers it as it is.</summary>
    public async Task<ShipmentResult> CloseAsync(string shipmentId, Actor by, CancellationToken ct)
    {
        var shipment = await GetAsync(shipmentId, ct) ?? throw Problems.ShipmentNotFound(shipmentId);
        if (shipment.Closed)
        {
            return new ShipmentResult(shipment, Replayed: true);
        }

        var now = clock.UtcNowMillis();
        var transaction = new Transaction();
        var close = transaction.Add(new TransactWriteItem
        {
            Update = new Update
            {
                TableName = table,
                Key = ShipmentKey(shipmentId),
                UpdateExpression = "SET #closed = :now, #by = :by",
                ConditionExpression = "attribute_exists(#pk) AND attribute_not_exists(#closed)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey, ["#closed"] = Attr.ClosedAt, ["#by"] = Attr.ClosedBy },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":now"] = Items.Time(now), [":by"] = Items.S(by.Name) },
            },
        });
        foreach (var line in shipment.Lines)
        {
            // Every line leaves the open-lines index (a receipt that landed since the read needs no other treatment).
            transaction.Add(new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = table,
                    Key = LineKey(line.ProductId, shipmentId),
                    UpdateExpression = "REMOVE #open",
                    ConditionExpression = "attribute_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey, ["#open"] = Attr.OpenKey },
                },
            });
        }

        var outcome = await writes.CommitAsync(transaction, ct);
        if (!outcome.IsCommitted && !outcome.Failed(close))
        {
            throw new InvalidOperationException($"Shipment {shipmentId} has a line item missing");
        }

        var closed = await GetAsync(shipmentId, ct) ?? throw Problems.ShipmentNotFound(shipmentId);
        return new ShipmentResult(closed, Replayed: !outcome.IsCommitted);
    }

    /// <summary>The received count moves from the value read (so over-receipt was judged on what is there); the line leaves the open index once it has what it expected.</summary>
    private TransactWriteItem ReceiveOnLine(ShipmentLine line, long quantity, DateTimeOffset now)
    {
        var received = line.ReceivedQuantity + quantity;
        var update = "SET #rq = :new, #lr = :now";
        if (!ShipmentLine.StillExpected(line.ExpectedQuantity, received))
        {
            update += " REMOVE #open";
        }

        var names = new Dictionary<string, string> { ["#rq"] = Attr.ReceivedQuantity, ["#lr"] = Attr.LastReceivedAt };
        if (update.Contains("#open", StringComparison.Ordinal))
        {
            names["#open"] = Attr.OpenKey;
        }

        return new TransactWriteItem
        {
            Update = new Update
            {
                TableName = table,
                Key = LineKey(line.ProductId, line.ShipmentId),
                UpdateExpression = update,
                ConditionExpression = "#rq = :seen",
                ExpressionAttributeNames = names,
                ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                {
                    [":new"] = Items.N(received),
                    [":seen"] = Items.N(line.ReceivedQuantity),
                    [":now"] = Items.Time(now),
                },
            },
        };
    }

    private QueryRequest OpenLinesQuery(string productId, int? limit, Dictionary<string, AttributeValue>? start) => new()
    {
        TableName = table,
        IndexName = Indexes.OpenLines,
        KeyConditionExpression = "#pk = :pk",
        ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey },
        ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":pk"] = Items.S(productId) },
        ConsistentRead = true,
        Limit = limit,
        ExclusiveStartKey = start,
    };

    private TransactWriteItem Put(Dictionary<string, AttributeValue> item) => new()
    {
        Put = new Put
        {
            TableName = table,
            Item = item,
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = Attr.PartitionKey },
        },
    };

    private static Dictionary<string, AttributeValue> ShipmentKey(string shipmentId) => new()
    {
        [Attr.PartitionKey] = Items.S(ShipmentPartition(shipmentId)),
        [Attr.ItemKey] = Items.S(ShipmentItem),
    };

    private static Dictionary<string, AttributeValue> LineKey(string productId, string shipmentId) => new()
    {
        [Attr.PartitionKey] = Items.S(productId),
        [Attr.ItemKey] = Items.S(LinePrefix + shipmentId),
    };

    private static string OpenKeyOf(DateOnly expected, string shipmentId) => $"{Date(expected)}#{shipmentId}";

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> ReceiptItem(Receipt receipt) => new()
    {
        [Attr.PartitionKey] = Items.S(ShipmentPartition(receipt.ShipmentId)),
        [Attr.ItemKey] = Items.S(ReceiptPrefix + receipt.ReceiptId),
        [Attr.ReceiptId] = Items.S(receipt.ReceiptId),
        [Attr.ShipmentId] = Items.S(receipt.ShipmentId),
        [Attr.CreatedAt] = Items.Time(receipt.ReceivedAt),
        [Attr.CreatedBy] = Items.S(receipt.ReceivedBy),
        [Attr.Fingerprint] = Items.S(receipt.Fingerprint),
        [Attr.ShipmentLines] = new AttributeValue
        {
            L = receipt.Lines.Select(l => new AttributeValue
            {
                M = new Dictionary<string, AttributeValue> { [Attr.ProductId] = Items.S(l.ProductId), [Attr.Quantity] = Items.N(l.Quantity) },
            }).ToList(),
        },
    };

    private static Receipt ToReceipt(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.ReceiptId)!,
        Items.Str(item, Attr.ShipmentId)!,
        item[Attr.ShipmentLines].L.Select(v => new ReceiptLine(Items.Str(v.M, Attr.ProductId)!, Items.Long(v.M, Attr.Quantity))).ToList(),
        Items.Timestamp(item, Attr.CreatedAt),
        Items.Str(item, Attr.CreatedBy) ?? string.Empty,
        Items.Str(item, Attr.Fingerprint) ?? string.Empty);

    private static ShipmentLine ToLine(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.ShipmentId)!,
        Items.Str(item, Attr.SupplierReference) ?? string.Empty,
        Items.Str(item, Attr.ProductId)!,
        Items.Str(item, Attr.WarehouseId)!,
        Items.Long(item, Attr.ExpectedQuantity),
        Items.Long(item, Attr.ReceivedQuantity),
        DateOnly.ParseExact(Items.Str(item, Attr.ExpectedDate)!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        item.TryGetValue(Attr.AllowOverReceipt, out var allow) && allow.BOOL == true,
        item.ContainsKey(Attr.OpenKey));
}
