namespace Inventory.Api.Domain;

public enum ReservationStatus
{
    ACTIVE,
    RELEASED,
    FULFILLED,
    EXPIRED,
}

/// <summary>A hold of units of one product in one warehouse, keyed by the client's reservation id.</summary>
public sealed record Reservation(
    string ProductId,
    string ReservationId,
    string WarehouseId,
    long Quantity,
    ReservationStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string RequestFingerprint,
    DateTimeOffset? FinishedAt = null)
{
    public bool IsActive => Status == ReservationStatus.ACTIVE;

    public bool HasExpired(DateTimeOffset now) => now >= ExpiresAt;
}
