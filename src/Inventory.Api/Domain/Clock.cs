namespace Inventory.Api.Domain;

public static class Clock
{
    /// <summary>The current time at the millisecond precision it is stored with, so an answer matches a later read.</summary>
    public static DateTimeOffset UtcNowMillis(this TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
    }
}
