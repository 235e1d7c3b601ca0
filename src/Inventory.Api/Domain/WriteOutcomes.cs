namespace Inventory.Api.Domain;

// What a write did, kept with its idempotency record so that the same request again is answered with it.

/// <summary>A relative change of a row's stock (+50 received, -3 damaged) and when it was applied.</summary>
public sealed record Adjustment(string WarehouseId, long Delta, string Reason, DateTimeOffset AppliedAt);

/// <summary>Units moved from one warehouse row of a product to another.</summary>
public sealed record Transfer(
    string TransferId, string ProductId, string FromWarehouse, string ToWarehouse, long Quantity, string? Reason, DateTimeOffset TransferredAt);

/// <summary>One line of a sale: the units taken from a row, and the hold they came from if any.</summary>
public sealed record FulfilledLine(string ProductId, string WarehouseId, long Quantity, string? ReservationId);

/// <summary>A sale of an order's lines; <c>Replayed</c> when the answer is that of an earlier, identical request.</summary>
public sealed record FulfilmentResult(string OrderId, IReadOnlyList<FulfilledLine> Lines, DateTimeOffset FulfilledAt, bool Replayed);

/// <summary>One line of a stock import as applied: its reference, whether it set or adjusted, and by how much.</summary>
public sealed record ImportedLine(string Reference, MoveKind Kind, long Quantity);
