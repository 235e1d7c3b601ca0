using System.Text.Json.Serialization;

namespace Inventory.Api.Domain;

/// <summary>
/// An alert: a status transition (<c>STATUS_CHANGE</c>), or a row whose days of cover fell below its product's lead time
/// (<c>RUNS_OUT_SOON</c>; its status did not move, so old and new status are the same, and the cover figures are set).
/// </summary>
public sealed record StockAlert(
    string AlertId, string ProductId, string WarehouseId, long StockCount, long AvailableCount, long ThresholdLevel,
    StockStatus OldStatus, StockStatus NewStatus, DateTimeOffset CreatedAt, string Message,
    string? AcknowledgedBy = null, DateTimeOffset? AcknowledgedAt = null,
    AlertType AlertType = AlertType.STATUS_CHANGE,
    [property: JsonPropertyName("sold_7d")] long? Sold7d = null,
    [property: JsonPropertyName("sold_28d")] long? Sold28d = null,
    [property: JsonPropertyName("velocity_7d")] decimal? Velocity7d = null,
    [property: JsonPropertyName("velocity_28d")] decimal? Velocity28d = null,
    decimal? DaysOfCover = null, int? LeadTimeDays = null);

/// <summary>What an alert announces; subscribers filter the alerts topic on it.</summary>
public enum AlertType
{
    STATUS_CHANGE,
    RUNS_OUT_SOON,
}

/// <summary>Which alerts a listing shows; a null field does not filter.</summary>
public sealed record AlertFilter(bool? Acknowledged = null, StockStatus? Status = null, string? ProductId = null, AlertType? Type = null);

public sealed record AlertPage(IReadOnlyList<StockAlert> Alerts, string? NextToken);
