namespace Inventory.Api.Domain;

/// <summary>Stock of one product in one warehouse.</summary>
/// <param name="StoredStatus">
/// The status as last written. Every stock write stores the status its counts imply in the same write, so it only
/// differs from <see cref="Status"/> for data written otherwise (repaired by the threshold check); callers show
/// <see cref="Status"/>, which is always exact.
/// </param>
/// <param name="Version">Bumped by every change to stock, threshold or category (not by holds); the ETag.</param>
/// <param name="StatusChangedAt">When the stored status last changed (the time of its alert); null if it never has.</param>
public sealed record InventoryRow(
    string ProductId,
    string WarehouseId,
    long StockCount,
    long ReservedCount,
    long AvailableCount,
    long ThresholdLevel,
    StockStatus StoredStatus,
    string? Category,
    DateTimeOffset LastUpdated,
    long Version,
    DateTimeOffset? StatusChangedAt = null)
{
    public StockStatus Status => StockRules.StatusFor(AvailableCount, ThresholdLevel);

    public bool StatusIsStale => Status != StoredStatus;

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
