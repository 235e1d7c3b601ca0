namespace Inventory.Api.Domain;

/// <summary>Units a row sold on one calendar day (UTC).</summary>
public sealed record DailySales(DateOnly Day, long Units);

/// <summary>
/// How long a row's available units last at the pace it has been selling, and whether that is shorter than the time its
/// product takes to restock. Velocities are units sold per day over the last 7 and 28 calendar days (UTC, today
/// included, each divided by its full window); days of cover is available units over the larger of the two, the more
/// cautious figure. No sales in either window: no velocity, no days of cover, never "runs out soon".
/// </summary>
public sealed record StockCover(
    long Available, long Sold7Days, long Sold28Days, decimal Velocity7Days, decimal Velocity28Days, decimal? DaysOfCover, int? LeadTimeDays)
{
    public const int ShortWindowDays = 7;
    public const int LongWindowDays = 28;

    /// <summary>The longest lead time a product may carry: half a year to restock is already beyond what cover can warn about.</summary>
    public const int MaxLeadTimeDays = 365;

    /// <summary>Figures are rounded for people and messages; the decision uses the exact fractions.</summary>
    private const int VelocityDecimals = 3;
    private const int CoverDecimals = 2;

    /// <summary>Whether the row runs out before a restock ordered now would arrive: cover below the lead time.</summary>
    public bool RunsOutSoon { get; private init; }

    /// <summary>
    /// The figures for a row with <paramref name="available"/> units, from its daily sales (days outside the 28-day window
    /// are ignored, as are days after <paramref name="today"/>), for a product restocked in <paramref name="leadTimeDays"/>
    /// (null or 0: no lead time, never runs out soon).
    /// </summary>
    public static StockCover Compute(IEnumerable<DailySales> sales, DateOnly today, long available, int? leadTimeDays)
    {
        long sold7 = 0, sold28 = 0;
        foreach (var day in sales)
        {
            var age = today.DayNumber - day.Day.DayNumber;
            if (age < 0 || age >= LongWindowDays)
            {
                continue;
            }

            sold28 += day.Units;
            if (age < ShortWindowDays)
            {
                sold7 += day.Units;
            }
        }

        var lead = leadTimeDays is > 0 ? leadTimeDays : null;

        // The larger velocity, compared exactly: sold7/7 vs sold28/28 is sold7*4 vs sold28.
        var (sold, window) = sold7 * (LongWindowDays / ShortWindowDays) >= sold28 ? (sold7, ShortWindowDays) : (sold28, LongWindowDays);
        decimal? cover = sold > 0 ? Math.Max(0, available) * (decimal)window / sold : null;

        // Below the lead time: available * window / sold < lead, in integers so no rounding decides a crossing.
        var runsOut = sold > 0 && lead is { } l && Math.Max(0, available) * window < (decimal)l * sold;
        return new StockCover(
            available, sold7, sold28,
            Math.Round((decimal)sold7 / ShortWindowDays, VelocityDecimals),
            Math.Round((decimal)sold28 / LongWindowDays, VelocityDecimals),
            cover is { } c ? Math.Round(c, CoverDecimals) : null,
            lead) { RunsOutSoon = runsOut };
    }

    /// <summary>The first day of the long window ending <paramref name="today"/>: the oldest daily counter that still counts.</summary>
    public static DateOnly WindowStart(DateOnly today) => today.AddDays(-(LongWindowDays - 1));

    /// <summary>The UTC calendar day of an instant: the day a sale is counted on.</summary>
    public static DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime);

    /// <summary>
    /// What a new evaluation means for a row that <paramref name="wasBelow"/> its lead time: an alert only when it goes
    /// below (one per crossing), and re-armed (no alert) when it is no longer below.
    /// </summary>
    public static CoverCrossing Crossing(bool wasBelow, bool isBelow) => (wasBelow, isBelow) switch
    {
        (false, true) => CoverCrossing.FellBelow,
        (true, false) => CoverCrossing.Rearmed,
        _ => CoverCrossing.None,
    };
}

public enum CoverCrossing
{
    None,

    /// <summary>Cover dropped below the lead time: the one "runs out soon" alert of this crossing.</summary>
    FellBelow,

    /// <summary>Cover is back at or above the lead time (a receipt, an adjustment, a slower pace): the next drop alerts again.</summary>
    Rearmed,
}
