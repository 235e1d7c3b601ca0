namespace Inventory.Api.Domain;

/// <summary>What kind of refusal it is; the HTTP layer alone decides which status each kind is answered with.</summary>
public enum RefusalKind
{
    /// <summary>The request itself is wrong; sending it again cannot help.</summary>
    Invalid,

    /// <summary>Something it names does not exist.</summary>
    NotFound,

    /// <summary>The state of things does not allow it (not enough stock, a stale version in the body, a reused id).</summary>
    Conflict,

    /// <summary>The version the client sent as a precondition (If-Match) is no longer current.</summary>
    StalePrecondition,

    /// <summary>A blind overwrite: the write needs the version the client saw.</summary>
    PreconditionRequired,

    /// <summary>The database is too busy right now; nothing changed and a retry can succeed.</summary>
    Busy,
}

/// <summary>
/// A refusal the client can act on. Each has a stable <see cref="Code"/> (documented in docs/api.md) and a
/// <see cref="Kind"/>; <see cref="Details"/> become problem-details extensions.
/// </summary>
public sealed class InventoryException(
    string code, RefusalKind kind, string title, string detail, IReadOnlyDictionary<string, object?>? details = null)
    : Exception(detail)
{
    public string Code { get; } = code;

    public RefusalKind Kind { get; } = kind;

    public string Title { get; } = title;

    public IReadOnlyDictionary<string, object?> Details { get; } = details ?? new Dictionary<string, object?>();
}

/// <summary>The catalogue of refusals, so every place that raises one says the same thing.</summary>
public static class Problems
{
    public static InventoryException Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new("validation_failed", RefusalKind.Invalid, "The request is not valid.", "One or more fields are invalid; see 'errors'.",
            new Dictionary<string, object?> { ["errors"] = errors });

    public static InventoryException Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static InventoryException ProductNotFound(string productId) =>
        new("product_not_found", RefusalKind.NotFound, "Product not found.", $"No inventory is recorded for product '{productId}'.",
            new Dictionary<string, object?> { ["product_id"] = productId });

    public static InventoryException WarehouseNotFound(string productId, string warehouseId) =>
        new("warehouse_not_found", RefusalKind.NotFound, "Warehouse not found.",
            $"Product '{productId}' has no stock row in warehouse '{warehouseId}'.",
            new Dictionary<string, object?> { ["product_id"] = productId, ["warehouse_id"] = warehouseId });

    public static InventoryException AlreadySpread(string productId, string warehouseId, int subRows, bool folding) =>
        new("row_already_hot", RefusalKind.Conflict, "The row is already spread over sub-rows.",
            folding
                ? $"Row {productId}/{warehouseId} is still folding back from {subRows} sub-rows; mark it hot again once that has finished."
                : $"Row {productId}/{warehouseId} is already hot over {subRows} sub-rows; turn it off first to change the number.",
            new Dictionary<string, object?> { ["product_id"] = productId, ["warehouse_id"] = warehouseId, ["sub_rows"] = subRows, ["folding"] = folding });

    public static InventoryException NotSpread(string productId, string warehouseId) =>
        new("row_not_hot", RefusalKind.Conflict, "The row is not hot.",
            $"Row {productId}/{warehouseId} is not spread over sub-rows (or is already folding back).",
            new Dictionary<string, object?> { ["product_id"] = productId, ["warehouse_id"] = warehouseId });

    public static InventoryException ReservationNotFound(string productId, string reservationId) =>
        new("reservation_not_found", RefusalKind.NotFound, "Reservation not found.",
            $"No reservation '{reservationId}' exists for product '{productId}'.",
            new Dictionary<string, object?> { ["product_id"] = productId, ["reservation_id"] = reservationId });

    public static InventoryException AlertNotFound(string alertId) =>
        new("alert_not_found", RefusalKind.NotFound, "Alert not found.", $"No alert '{alertId}' exists (alerts are kept 30 days).",
            new Dictionary<string, object?> { ["alert_id"] = alertId });

    public static InventoryException InsufficientStock(string productId, string? warehouseId, long requested, long available) =>
        Shortage([new ItemShortage(productId, warehouseId, requested, available, "insufficient_stock")]);

    /// <param name="fromIfMatch">The stale version came as an If-Match precondition (else in the body).</param>
    public static InventoryException VersionConflict(bool fromIfMatch, InventoryRow? current) =>
        new("version_conflict", fromIfMatch ? RefusalKind.StalePrecondition : RefusalKind.Conflict, "The row was changed by someone else.",
            "Your copy is out of date; nothing was changed. Re-read the row (see 'current') and apply your change again.",
            new Dictionary<string, object?> { ["current"] = current });

    public static InventoryException PreconditionRequired(InventoryRow current) =>
        new("precondition_required", RefusalKind.PreconditionRequired, "A version is required.",
            "This row exists: send its ETag in If-Match (or 'expected_version' in the body) so a concurrent change is not overwritten.",
            new Dictionary<string, object?> { ["current"] = current });

    public static InventoryException StockBelowReserved(long requestedStock, long reserved) =>
        new("stock_below_reserved", RefusalKind.Conflict, "Stock cannot go below what is reserved.",
            $"Cannot set stock to {requestedStock}: {reserved} unit(s) are held by active reservations. Release them first.",
            new Dictionary<string, object?> { ["requested_stock_count"] = requestedStock, ["reserved_count"] = reserved });

    public static InventoryException IdempotencyConflict(string key) =>
        new("idempotency_conflict", RefusalKind.Conflict, "Key reused with a different request.",
            $"'{key}' was already used for a different request; use a new key for a new request.",
            new Dictionary<string, object?> { ["key"] = key });

    public static InventoryException ReservationNotActive(Reservation reservation) =>
        new("reservation_not_active", RefusalKind.Conflict, "The reservation is no longer active.",
            $"Reservation '{reservation.ReservationId}' is {reservation.Status}.",
            new Dictionary<string, object?>
            {
                ["reservation_id"] = reservation.ReservationId,
                ["reservation_status"] = reservation.Status.ToString(),
            });

    public static InventoryException ReservationExpired(Reservation reservation) =>
        new("reservation_expired", RefusalKind.Conflict, "The reservation has expired.",
            $"Reservation '{reservation.ReservationId}' expired at {reservation.ExpiresAt:O}; its units are being returned. Reserve again.",
            new Dictionary<string, object?>
            {
                ["reservation_id"] = reservation.ReservationId,
                ["expires_at"] = reservation.ExpiresAt,
            });

    public static InventoryException ProductExists(string sku) =>
        new("product_exists", RefusalKind.Conflict, "Product already exists.",
            $"A different product with sku '{sku}' already exists.", new Dictionary<string, object?> { ["sku"] = sku });

    public static InventoryException TooManyItems(int actions, int limit) =>
        new("too_many_items", RefusalKind.Invalid, "Too many items for one atomic request.",
            $"This request needs {actions} DynamoDB transaction actions; at most {limit} fit in one all-or-nothing write. Split it.",
            new Dictionary<string, object?> { ["actions"] = actions, ["limit"] = limit });

    public static InventoryException ApiKeyNotFound(string keyId) =>
        new("api_key_not_found", RefusalKind.NotFound, "API key not found.", $"No API key has the id '{keyId}'.",
            new Dictionary<string, object?> { ["key_id"] = keyId });

    public static InventoryException ApiKeysNotManaged() =>
        new("api_keys_not_managed", RefusalKind.Conflict, "Keys are not managed here.",
            "This deployment takes its API keys from configuration; set Storage:ApiKeysTable to create and revoke keys through the API.");

    public static InventoryException LastAdminKey(string keyId) =>
        new("last_admin_key", RefusalKind.Conflict, "The last admin key cannot be revoked.",
            $"Key '{keyId}' is the only active admin key: revoking it would lock every admin out, and only a new deployment could let one back in. Create another admin key first, then revoke this one.",
            new Dictionary<string, object?> { ["key_id"] = keyId });

    /// <summary>
    /// Every short item is listed in <c>items</c>, whatever the request's shape; when only one is short its numbers are
    /// also given at the top level, so a single-product client need not look into the list.
    /// </summary>
    public static InventoryException Shortage(IReadOnlyList<ItemShortage> shortages)
    {
        var details = new Dictionary<string, object?> { ["items"] = shortages };
        if (shortages is [var only])
        {
            details["product_id"] = only.ProductId;
            details["warehouse_id"] = only.WarehouseId;
            details["requested"] = only.Requested;
            details["available_count"] = only.AvailableCount;
        }

        var detail = shortages is [var one]
            ? $"Requested {one.Requested} of '{one.ProductId}' but only {one.AvailableCount} available; nothing was changed."
            : $"{shortages.Count} items cannot be supplied ({string.Join(", ", shortages.Select(s => $"'{s.ProductId}': {s.AvailableCount} of {s.Requested} available"))}); nothing was changed.";
        return new("insufficient_stock", RefusalKind.Conflict, "Not enough stock.", detail, details);
    }

    public static InventoryException StockLimit(long stockCount, long delta) =>
        new("stock_limit_exceeded", RefusalKind.Conflict, "Stock would pass the ceiling.",
            $"stock_count is {stockCount}; adding {delta} would pass {Validator.MaxCount:N0}. Nothing was changed.",
            new Dictionary<string, object?> { ["stock_count"] = stockCount, ["limit"] = Validator.MaxCount });

    /// <summary>A transfer asked for more than the source row has available: held units never move.</summary>
    public static InventoryException TransferShortage(string productId, string fromWarehouse, long requested, long available, long reserved)
    {
        var details = new Dictionary<string, object?>
        {
            ["items"] = new List<ItemShortage> { new(productId, fromWarehouse, requested, available, "insufficient_stock") },
            ["product_id"] = productId,
            ["warehouse_id"] = fromWarehouse,
            ["requested"] = requested,
            ["available_count"] = available,
            ["reserved_count"] = reserved,
        };
        return new("insufficient_stock", RefusalKind.Conflict, "Not enough available units to transfer.",
            $"Warehouse '{fromWarehouse}' has {available} available unit(s) of '{productId}' ({reserved} more are held in carts and cannot be moved); {requested} were asked for. Nothing was moved.",
            details);
    }

    public static InventoryException ShipmentNotFound(string shipmentId) =>
        new("shipment_not_found", RefusalKind.NotFound, "Shipment not found.", $"No shipment '{shipmentId}' exists.",
            new Dictionary<string, object?> { ["shipment_id"] = shipmentId });

    public static InventoryException ShipmentClosed(string shipmentId, DateTimeOffset? closedAt) =>
        new("shipment_closed", RefusalKind.Conflict, "The shipment is closed.",
            $"Shipment '{shipmentId}' was closed{(closedAt is { } at ? $" at {at:O}" : "")}; nothing more can be received on it. Nothing was changed.",
            new Dictionary<string, object?> { ["shipment_id"] = shipmentId, ["closed_at"] = closedAt });

    /// <summary>Every line of a receipt that would take its shipment line past the expected quantity (lines that do not allow it).</summary>
    public static InventoryException OverReceipt(string shipmentId, IReadOnlyList<OverReceivedLine> lines)
    {
        var details = new Dictionary<string, object?> { ["shipment_id"] = shipmentId, ["lines"] = lines };
        if (lines is [var only])
        {
            details["product_id"] = only.ProductId;
            details["expected_quantity"] = only.ExpectedQuantity;
            details["received_quantity"] = only.ReceivedQuantity;
            details["requested"] = only.Requested;
        }

        var detail = string.Join("; ", lines.Select(l =>
            $"'{l.ProductId}': {l.ReceivedQuantity} of {l.ExpectedQuantity} received, {l.Requested} more would pass the expected quantity by {l.ReceivedQuantity + l.Requested - l.ExpectedQuantity}"));
        return new("over_receipt", RefusalKind.Conflict, "More than the shipment expects.",
            $"{detail}. These lines do not allow over-receipt; nothing was received.", details);
    }

    public static InventoryException InvalidToken() =>
        new("invalid_token", RefusalKind.Invalid, "The page token is not valid here.",
            "next_token must be a token this listing returned, used with the same filters (category, status or product).");

    public static InventoryException StorageBusy() =>
        new("storage_busy", RefusalKind.Busy, "The database is throttling requests.",
            "DynamoDB kept refusing the write for lack of capacity; it changed nothing. Retry shortly.");

    public static InventoryException Busy() =>
        new("contention", RefusalKind.Busy, "The item is too busy right now.",
            "The write kept colliding with concurrent writes to the same item; it changed nothing. Retry shortly.");
}

public sealed record ItemShortage(string ProductId, string? WarehouseId, long Requested, long AvailableCount, string Reason);

/// <summary>A receipt line refused for passing its shipment line's expected quantity.</summary>
public sealed record OverReceivedLine(string ProductId, long ExpectedQuantity, long ReceivedQuantity, long Requested);
