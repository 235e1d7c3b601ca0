using Inventory.Api.Storage;
using Inventory.Api.Domain;

namespace Inventory.Api.Features.Alerts;

/// <summary>
/// Follows the alert records as they are written, returning each one once, in order. Alerts are ordered by
/// their writer's clock, so an instance whose clock lags could write "in the past": every read looks back
/// <see cref="ClockAllowance"/> and skips the ids it already returned.
/// </summary>
/// <param name="startAfter">Only alerts after this point are returned (and, at the same millisecond, after <paramref name="startAfterId"/>).</param>
public sealed class AlertTail
{
    public static readonly TimeSpan ClockAllowance = TimeSpan.FromSeconds(5);

    private readonly HashSet<string> returned = new(StringComparer.Ordinal);
    private readonly Queue<StockAlert> window = new();
    private readonly AlertRecords alerts;
    private readonly DateTimeOffset startAfter;
    private readonly string? startAfterId;
    private DateTimeOffset newest;

    public AlertTail(AlertRecords alerts, DateTimeOffset startAfter, string? startAfterId = null)
    {
        this.alerts = alerts;
        this.startAfter = startAfter;
        this.startAfterId = startAfterId;
        newest = startAfter;
    }

    public async Task<IReadOnlyList<StockAlert>> NextAsync(CancellationToken ct)
    {
        var found = await alerts.SinceAsync(newest - ClockAllowance, ct);
        var fresh = found.Where(a => IsAfterStart(a) && !returned.Contains(a.AlertId)).ToList();
        foreach (var alert in fresh)
        {
            returned.Add(alert.AlertId);
            window.Enqueue(alert);
            if (alert.CreatedAt > newest)
            {
                newest = alert.CreatedAt;
            }
        }

        // Ids older than the look-back can never be read again, so they need not be remembered.
        while (window.TryPeek(out var old) && old.CreatedAt < newest - ClockAllowance)
        {
            returned.Remove(window.Dequeue().AlertId);
        }

        return fresh;
    }

    private bool IsAfterStart(StockAlert alert) =>
        alert.CreatedAt > startAfter
        || (alert.CreatedAt == startAfter && startAfterId is not null && string.CompareOrdinal(alert.AlertId, startAfterId) > 0);
}
