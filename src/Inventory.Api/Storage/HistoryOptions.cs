namespace Inventory.Api.Storage;

/// <summary>The stock history's settings (section <c>History</c>).</summary>
public sealed class HistoryOptions
{
    public const string Section = "History";

    /// <summary>
    /// How long an entry is kept after its change, then TTL deletes it (within a few days). A year covers an annual stock
    /// count and its audit; docs/decisions.md gives what a million movements cost to keep.
    /// </summary>
    public int RetentionDays { get; set; } = 365;
}
