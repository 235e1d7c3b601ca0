namespace Inventory.Api.Domain;

/// <summary>Stock of one product in one warehouse.</summary>
/// <param name="StoredStatus">
/// The status as last stored for the listings by status, or null if none is stored. It follows the counts through
/// the table's change stream, so it may lag <see cref="Status"/> for a moment; callers show <see cref="Status"/>,
/// which is computed from the counts and always exact.
/// </param>
/// <param name="Version">Bumped by every change to stock, threshold or category (not by holds); the ETag.</param>
/// <param name="MoveSequence">
/// How many times its counts have changed (holds included): the number of its latest stock history entry; 0 for a row
/// from before the history.
/// </param>
public sealed record InventoryRow(
    string ProductId,
    string WarehouseId,
    long StockCount,
    long ReservedCount,
    long AvailableCount,
    long ThresholdLevel,
    StockStatus? StoredStatus,
    string? Category,
    DateTimeOffset LastUpdated,
    long Version,
    long MoveSequence = 0)
{
    public StockStatus Status => StockRules.StatusFor(AvailableCount, ThresholdLevel);

    public StockCounts Counts => new(StockCount, ReservedCount, AvailableCount, ThresholdLevel);

    public string ETag => ETags.ForVersion(Version);
}

public static class ETags
{
    public static string ForVersion(long version) => $"\"{version}\"";

    /// <summary>Accepts <c>"7"</c>, <c>W/"7"</c> or a bare <c>7</c>; anything else is not one of ours.</summary>
    public static bool TryParseVersion(string? etag, out long version)
    {
        version = 0;
        if (string.IsNullOrWhiteSpace(etag))
        {
            return false;
        }

        var text = etag.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"');
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version)
            && version > 0;
    }
}
