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
/// <param name="SubRowCount">
/// Over how many sub-rows the row's units are spread (<see cref="SubRows"/>): 1 for a row that is not hot. Read from the
/// row itself (sub-row 0); a row read for an answer has the sub-rows' counts added in.
/// </param>
/// <param name="Folding">The row is being folded back into one: new holds take from sub-row 0 only.</param>
/// <param name="GatheredAt">On a hot row: when units were last gathered on sub-row 0 for a write that needed them (a rebalance waits a moment after).</param>
/// <param name="SubRowsEver">The most sub-rows the row has ever been spread over: where its history may be.</param>
/// <param name="ClaimingHolds">
/// Just marked hot: the holds made before are being given claims, and until they have them no units go to the other
/// sub-rows.
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
    long MoveSequence = 0,
    int SubRowCount = 1,
    bool Folding = false,
    int SubRowsEver = 1,
    DateTimeOffset GatheredAt = default,
    bool ClaimingHolds = false)
{
    /// <summary>Whether the row's units are spread over sub-rows (hot, or still folding back).</summary>
    public bool IsSpread => SubRowCount > 1;

    /// <summary>The stored keys whose history is this row's: the row itself and every sub-row it has ever had.</summary>
    public IEnumerable<string> HistoryKeys => Enumerable.Range(0, SubRowsEver).Select(i => SubRows.KeyOf(ProductId, i));

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
