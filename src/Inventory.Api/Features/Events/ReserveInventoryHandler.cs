using System.Text.Json;
using System.Text.Json.Serialization;
using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Features.Reservations;

namespace Inventory.Api.Features.Events;

/// <summary>
/// The order service's ReserveInventory message. Fields the contract may grow later are ignored, not refused.
/// <see cref="Fault"/> names a field of the wrong type (the message is then answered as invalid, not dropped).
/// </summary>
public sealed record ReserveInventoryMessage(
    string? Type, string? OrderId, string? CustomerId, List<ReserveInventoryLine?>? Items, string? Fault);

public sealed record ReserveInventoryLine(string? Sku, long? Quantity);

/// <summary>
/// One line of the answer. <c>Reason</c> is null for a line that could be supplied. <c>ReservationStatus</c> is set
/// only when the order id already named holds (reason <c>reservation_ended</c>): the status of this line's hold now.
/// </summary>
public sealed record OrderLineOutcome(
    string? Sku, long? Quantity, string? WarehouseId, string? Reason, long? AvailableCount, ReservationStatus? ReservationStatus = null);

/// <summary>The answer to the order service: InventoryReserved or InventoryReservationFailed.</summary>
public sealed record OrderOutcomeEvent(
    string Type, string OrderId, string? CustomerId, string? ReservationId, DateTimeOffset? ExpiresAt, string? Reason,
    IReadOnlyList<OrderLineOutcome> Items, DateTimeOffset Timestamp);

/// <summary>How one message ended: answered (now or before), or to be retried by the queue.</summary>
public enum MessageFate
{
    /// <summary>Answered; the outcome is in the processed-orders record.</summary>
    Answered,

    /// <summary>Not a message this service can act on (unreadable, unknown type, no order id): the queue's redrive policy takes it to the dead-letter queue.</summary>
    Unprocessable,

    /// <summary>A passing failure (database unreachable, contention): retrying can succeed.</summary>
    Retry,
}

public sealed record MessageResult(MessageFate Fate, ProcessedOrder? Order, string? Problem);

/// <summary>
/// Reserves every line of an order or none, exactly once per order id. The answer commits in the same
/// transaction as the holds (or on its own, for a refusal, which changes no stock), so a redelivered message finds
/// it and changes nothing, and the answer a Pipe forwards is always the one that happened.
/// </summary>
public sealed class ReserveInventoryHandler(
    HoldCommands reservations, InventoryStore inventory, ProcessedOrders processed, IOptions<InventoryOptions> options,
    TimeProvider clock, ILogger<ReserveInventoryHandler> logger)
{
    public const string MessageType = "ReserveInventory";
    public const string Reserved = "InventoryReserved";
    public const string Failed = "InventoryReservationFailed";

    /// <summary>The order id's holds exist but some have ended (released, expired or sold): nothing is held for it now.</summary>
    public const string ReservationEnded = "reservation_ended";

    /// <summary>Two actions per line plus the processed-order record must fit in one transaction.</summary>
    public const int MaxLines = (Transaction.MaxActions - 1) / 2;

    /// <summary>
    /// The longest sku or customer id an answer repeats. A message may be far larger than the answer record DynamoDB
    /// can store (400 KB); what the answer echoes is bounded so that every message with an order id is answered.
    /// </summary>
    public const int MaxEchoedText = 200;

    public async Task<MessageResult> HandleAsync(string body, CancellationToken ct)
    {
        ReserveInventoryMessage? message;
        try
        {
            message = Read(body);
        }
        catch (JsonException e)
        {
            return Unprocessable($"The message body is not JSON: {e.Message}");
        }

        if (message?.Type != MessageType)
        {
            return Unprocessable($"Unknown message type '{message?.Type}'; this queue carries only {MessageType}.");
        }

        if (!new Validator().Id("order_id", message.OrderId).IsValid)
        {
            return Unprocessable("The message has no usable order_id, so no answer can be recorded for it.");
        }

        var orderId = message.OrderId!;
        var lines = message.Items ?? [];
        var fingerprint = Fingerprint.Of(MessageType, string.Join(';', lines.Select(l => $"{l?.Sku}x{l?.Quantity}")));
        if (await processed.GetAsync(orderId, ct) is { } earlier)
        {
            if (earlier.Fingerprint != fingerprint)
            {
                logger.LogWarning("Order {OrderId} was already answered for different items; the first answer stands", orderId);
            }

            return Answered(earlier);
        }

        if (Invalid(lines) is { } invalidLines)
        {
            return await RecordRefusalAsync(message, "invalid_message", invalidLines, fingerprint, ct);
        }

        if (message.Fault is not null)
        {
            logger.LogWarning("Order {OrderId}: {Fault}", orderId, message.Fault);
            return await RecordRefusalAsync(message, "invalid_message", lines.Select(l => new OrderLineOutcome(l!.Sku, l.Quantity, null, null, null)).ToList(), fingerprint, ct);
        }

        var ttlSeconds = options.Value.DefaultReservationTtlSeconds;
        try
        {
            var result = await reservations.ReserveAsync(
                orderId,
                lines.Select(l => new ReserveItem(l!.Sku!, WarehouseId: null, l.Quantity!.Value)).ToList(),
                ttlSeconds,
                Actor.OrderQueue,
                ct,
                holds => processed.PutAction(ReservedOrder(message, holds, fingerprint), message.CustomerId));

            if (!result.Replayed)
            {
                return Answered(ReservedOrder(message, result.Reservations, fingerprint));
            }

            // Another delivery of this message won the race, or the order id was already used for the same holds
            // through the HTTP API: either way the holds exist, and the recorded answer (or a new one) says so. Holds
            // that have ended since hold nothing, so the answer is a refusal, never "reserved"; nor are they taken
            // again, which would revive an order the order service has moved on from (it sends a new order id).
            if (result.Reservations.Count > 0)
            {
                var now = clock.UtcNowMillis();
                var holdLines = HoldsNow(message, result.Reservations, now);
                if (holdLines.Any(l => l.Reason is not null))
                {
                    return await RecordRefusalAsync(message, ReservationEnded, holdLines, fingerprint, ct);
                }

                await processed.TryRecordAsync(ReservedOrder(message, result.Reservations, fingerprint), message.CustomerId, ct);
            }

            return Answered((await processed.GetAsync(orderId, ct))!);
        }
        catch (InventoryException e) when (e.Code is "insufficient_stock" or "product_not_found" or "warehouse_not_found" or "idempotency_conflict")
        {
            var reason = e.Code is "idempotency_conflict" ? "order_id_reused" : e.Code == "insufficient_stock" ? e.Code : "unknown_sku";
            return await RecordRefusalAsync(message, reason, await ExplainAsync(lines, ct), fingerprint, ct);
        }
    }

    /// <summary>
    /// Reads the message leniently: whatever the type of the other fields, a usable order id is found, so the order
    /// service gets an answer (invalid_message) instead of its message disappearing into the dead-letter queue. A
    /// line's sku or quantity of the wrong type reads as missing (and is refused per line); a wrong type elsewhere
    /// is recorded in <see cref="ReserveInventoryMessage.Fault"/>.
    /// </summary>
    private static ReserveInventoryMessage? Read(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? fault = null;
        string? Text(JsonElement parent, string name, bool record)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind == JsonValueKind.String)
            {
                try
                {
                    return value.GetString();
                }
                catch (InvalidOperationException)
                {
                    // an escaped lone surrogate: not text
                }
            }

            if (record)
            {
                fault ??= $"{name} must be a string.";
            }

            return null;
        }

        List<ReserveInventoryLine?>? items = null;
        if (root.TryGetProperty("items", out var array))
        {
            if (array.ValueKind == JsonValueKind.Array)
            {
                items = array.EnumerateArray().Select(line => line.ValueKind != JsonValueKind.Object
                    ? null
                    : new ReserveInventoryLine(
                        Text(line, "sku", record: false),
                        line.TryGetProperty("quantity", out var q) && q.ValueKind == JsonValueKind.Number && q.TryGetInt64(out var quantity) ? quantity : null))
                    .ToList();
            }
            else
            {
                fault ??= "items must be an array.";
            }
        }

        var customerId = Text(root, "customer_id", record: true);
        if (customerId is { Length: > MaxEchoedText })
        {
            fault ??= $"customer_id must be at most {MaxEchoedText} characters.";
            customerId = null;
        }

        return new ReserveInventoryMessage(Text(root, "type", record: false), Text(root, "order_id", record: false), customerId, items, fault);
    }

    /// <summary>
    /// Per-line reasons for a message that cannot be acted on as sent, or null when every line is usable. A message
    /// of more than <see cref="MaxLines"/> lines is answered with its first <see cref="MaxLines"/>, and a sku too
    /// long to be one is not repeated: the answer stays small whatever the message's size.
    /// </summary>
    private List<OrderLineOutcome>? Invalid(List<ReserveInventoryLine?> lines)
    {
        var tooMany = lines.Count > MaxLines;
        var occurrences = lines.Where(l => l?.Sku is not null).CountBy(l => l!.Sku!).ToDictionary(c => c.Key, c => c.Value);
        var outcomes = lines.Take(MaxLines).Select(line =>
        {
            string? reason = line is null || !new Validator().Id("sku", line.Sku).IsValid ? "invalid_sku"
                : line.Quantity is not { } q || q < 1 || q > options.Value.MaxQuantityPerLine ? "invalid_quantity"
                : occurrences[line.Sku!] > 1 ? "duplicate_sku"
                : tooMany ? "too_many_items"
                : null;
            var sku = line?.Sku is { Length: > MaxEchoedText } ? null : line?.Sku;
            return new OrderLineOutcome(sku, line?.Quantity, null, reason, null);
        }).ToList();
        return lines.Count == 0 || tooMany || outcomes.Any(o => o.Reason is not null) ? outcomes : null;
    }

    /// <summary>Why each line could not be supplied, read after the refusal (the refusal itself names only the first).</summary>
    private async Task<List<OrderLineOutcome>> ExplainAsync(List<ReserveInventoryLine?> lines, CancellationToken ct)
    {
        var outcomes = new List<OrderLineOutcome>(lines.Count);
        foreach (var line in lines)
        {
            var rows = await inventory.GetRowsAsync(line!.Sku!, ct);
            var available = rows.Count == 0 ? (long?)null : rows.Max(r => r.AvailableCount);
            var reason = available is null ? "unknown_sku" : available < line.Quantity ? "insufficient_stock" : null;
            outcomes.Add(new OrderLineOutcome(line.Sku, line.Quantity, null, reason, available));
        }

        return outcomes;
    }

    /// <summary>
    /// Each line with the state of the hold its order id names: still held, or ended (with its status then; null if
    /// the record is gone, which happens only once a finished hold's retention has passed).
    /// </summary>
    private static List<OrderLineOutcome> HoldsNow(ReserveInventoryMessage message, IReadOnlyList<Reservation> holds, DateTimeOffset now) =>
        message.Items!.Select(line =>
        {
            var hold = holds.FirstOrDefault(h => h.ProductId == line!.Sku);
            var status = hold?.StatusAt(now);
            return new OrderLineOutcome(
                line!.Sku, line.Quantity, hold?.WarehouseId, status == ReservationStatus.ACTIVE ? null : ReservationEnded, null, status);
        }).ToList();

    private async Task<MessageResult> RecordRefusalAsync(
        ReserveInventoryMessage message, string reason, List<OrderLineOutcome> lines, string fingerprint, CancellationToken ct)
    {
        var refusal = Order(message, new OrderOutcomeEvent(
            Failed, message.OrderId!, message.CustomerId, null, null, reason, lines, clock.UtcNowMillis()), fingerprint);
        if (await processed.TryRecordAsync(refusal, message.CustomerId, ct))
        {
            logger.LogInformation("Order {OrderId} refused: {Reason}", message.OrderId, reason);
            return Answered(refusal);
        }

        return Answered((await processed.GetAsync(message.OrderId!, ct))!);
    }

    private ProcessedOrder ReservedOrder(ReserveInventoryMessage message, IReadOnlyList<Reservation> holds, string fingerprint) =>
        Order(message, new OrderOutcomeEvent(
            Reserved, message.OrderId!, message.CustomerId, message.OrderId, holds.Min(h => h.ExpiresAt), null,
            // In the message's order, so the order service can match lines by position as well as by sku.
            holds.OrderBy(h => message.Items!.FindIndex(l => l?.Sku == h.ProductId))
                .Select(h => new OrderLineOutcome(h.ProductId, h.Quantity, h.WarehouseId, null, null)).ToList(),
            clock.UtcNowMillis()), fingerprint);

    private static ProcessedOrder Order(ReserveInventoryMessage message, OrderOutcomeEvent outcome, string fingerprint) =>
        new(message.OrderId!, outcome.Type, JsonSerializer.Serialize(outcome, AppJsonContext.Default.OrderOutcomeEvent), fingerprint, outcome.Timestamp);

    private static MessageResult Answered(ProcessedOrder order) => new(MessageFate.Answered, order, null);

    private MessageResult Unprocessable(string problem)
    {
        logger.LogWarning("Unprocessable ReserveInventory message: {Problem}", problem);
        return new MessageResult(MessageFate.Unprocessable, null, problem);
    }
}
