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
    DateTimeOffset? FinishedAt = null,
    string? HeldBy = null,
    string? HeldOn = null)
{
    /// <summary>
    /// The stored product key of the row whose units the hold took, and under which its record is kept: the product
    /// itself, or one of its sub-rows when the row is hot (<see cref="SubRows"/>).
    /// </summary>
    public string RowKey => HeldOn ?? ProductId;

    public bool IsActive => Status == ReservationStatus.ACTIVE;

    /// <summary>
    /// A hold belongs to the key that made it (<see cref="HeldBy"/>, its public id): another reserve key may not see,
    /// extend, release or sell it, so one leaked or buggy integration cannot empty another's carts. Admins and jobs
    /// act on any hold; a hold made from the order queue (no key) belongs to no key.
    /// </summary>
    public bool BelongsTo(Actor actor) => HeldBy is null || actor.ActsForAnyone || HeldBy == actor.KeyId;

    public bool HasExpired(DateTimeOffset now) => now >= ExpiresAt;

    /// <summary>
    /// The hold's status for its holder at <paramref name="now"/>: an ACTIVE hold past its time is EXPIRED before the
    /// sweep records it, because its units may already be on their way back to the shelf.
    /// </summary>
    public ReservationStatus StatusAt(DateTimeOffset now) => IsActive && HasExpired(now) ? ReservationStatus.EXPIRED : Status;

    /// <summary>
    /// A hold can be extended while it is ACTIVE and its time is not up. Past its time it is refused even if the
    /// sweep has not reached it yet: its units may already be on their way back to the shelf.
    /// </summary>
    public void EnsureExtendable(DateTimeOffset now)
    {
        if (Status == ReservationStatus.EXPIRED || (IsActive && HasExpired(now)))
        {
            throw Problems.ReservationExpired(this);
        }

        if (!IsActive)
        {
            throw Problems.ReservationNotActive(this);
        }
    }

    /// <summary>
    /// Whether releasing has anything to do: a released or expired hold is already back (releasing again is a
    /// no-op), a sold one cannot come back (a refusal), an ACTIVE one is released.
    /// </summary>
    public bool NeedsRelease() => Status switch
    {
        ReservationStatus.ACTIVE => true,
        ReservationStatus.RELEASED or ReservationStatus.EXPIRED => false,
        _ => throw Problems.ReservationNotActive(this),
    };

    /// <summary>A sale may convert an ACTIVE hold, of exactly its quantity (or the quantity left out).</summary>
    public void EnsureSellable(long? quantity)
    {
        if (!IsActive)
        {
            throw Problems.ReservationNotActive(this);
        }

        if (quantity is { } asked && asked != Quantity)
        {
            throw Problems.Validation("quantity", $"must equal the reservation's quantity ({Quantity}) or be left out.");
        }
    }
}

/// <summary>One line of a hold as asked for: a product, a warehouse (null: the service chooses) and how many units.</summary>
public sealed record ReserveItem(string ProductId, string? WarehouseId, long Quantity);
