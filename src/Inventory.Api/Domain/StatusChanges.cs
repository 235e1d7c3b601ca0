namespace Inventory.Api.Domain;

/// <summary>
/// The rules by which a row's stored status follows its counts (the stored status feeds the listings by status and
/// the alerts; answers compute the status from the counts).
/// </summary>
public static class StatusChanges
{
    /// <summary>
    /// Whether a change of a row needs its stored status looked at: its counts moved the status (<paramref name="before"/>
    /// is the status the old counts implied, null for a new row), or the row stored another status than the new counts
    /// imply when the change was written (<paramref name="stored"/>). Every other change, the usual hold, needs nothing.
    /// </summary>
    public static bool NeedsAttention(StockStatus? before, StockStatus after, StockStatus? stored) => before != after || stored != after;

    /// <summary>
    /// The time of a transition: when it is recorded, but always after the row's previous one, so a row's alerts (listed
    /// and delivered by time) keep their order even when two writers' clocks disagree or two fall in one millisecond.
    /// </summary>
    public static DateTimeOffset TransitionTime(DateTimeOffset now, DateTimeOffset? previousTransition) =>
        previousTransition is { } previous && previous >= now ? previous.AddMilliseconds(1) : now;
}
