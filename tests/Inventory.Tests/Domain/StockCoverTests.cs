using Inventory.Api.Domain;

namespace Inventory.Tests.Domain;

/// <summary>Sales velocity, days of cover and the crossing rule: pure, no DynamoDB.</summary>
public class StockCoverTests
{
    private static readonly DateOnly Today = new(2026, 11, 30);

    private static DailySales Sold(int daysAgo, long units) => new(Today.AddDays(-daysAgo), units);

    [Fact]
    public void Velocities_count_the_last_7_and_28_days_today_included_and_cover_uses_the_larger()
    {
        // 28 and 30 days ago are outside both windows; 27 and 10 only in the long one; 6 and 0 in both.
        var cover = StockCover.Compute([Sold(30, 500), Sold(28, 100), Sold(27, 28), Sold(10, 14), Sold(6, 21), Sold(0, 7)], Today, 830, leadTimeDays: null);

        Assert.Equal(28, cover.Sold7Days);
        Assert.Equal(70, cover.Sold28Days);
        Assert.Equal(4m, cover.Velocity7Days);
        Assert.Equal(2.5m, cover.Velocity28Days);
        Assert.Equal(207.5m, cover.DaysOfCover); // 830 / 4: the 7-day pace is the faster
        Assert.False(cover.RunsOutSoon); // no lead time, never
    }

    [Fact]
    public void A_slowing_row_is_judged_by_its_28_day_pace()
    {
        var cover = StockCover.Compute([Sold(20, 56)], Today, 10, leadTimeDays: 7);
        Assert.Equal(0, cover.Sold7Days);
        Assert.Equal(0m, cover.Velocity7Days);
        Assert.Equal(2m, cover.Velocity28Days);
        Assert.Equal(5m, cover.DaysOfCover);
        Assert.True(cover.RunsOutSoon);
    }

    [Fact]
    public void Figures_are_rounded_for_people_but_the_crossing_is_decided_exactly()
    {
        // 3 units in 7 days: 0.428571.../day. 30 available: 70 days exactly, so a 70-day lead time is not crossed...
        var atTheLine = StockCover.Compute([Sold(1, 3)], Today, 30, leadTimeDays: 70);
        Assert.Equal(0.429m, atTheLine.Velocity7Days);
        Assert.Equal(70m, atTheLine.DaysOfCover);
        Assert.False(atTheLine.RunsOutSoon);

        // ...and one unit fewer is 67.67 days, below it.
        var below = StockCover.Compute([Sold(1, 3)], Today, 29, leadTimeDays: 70);
        Assert.Equal(67.67m, below.DaysOfCover);
        Assert.True(below.RunsOutSoon);

        // 1 available at 3 units a week: 2.333... days, shown as 2.33.
        Assert.Equal(2.33m, StockCover.Compute([Sold(0, 3)], Today, 1, 3).DaysOfCover);
    }

    [Fact]
    public void No_sales_in_28_days_means_no_cover_and_no_alert_whatever_the_lead_time()
    {
        var cover = StockCover.Compute([Sold(40, 1000)], Today, 0, leadTimeDays: 30);
        Assert.Equal(0m, cover.Velocity7Days);
        Assert.Equal(0m, cover.Velocity28Days);
        Assert.Null(cover.DaysOfCover);
        Assert.False(cover.RunsOutSoon);
    }

    [Fact]
    public void Nothing_available_is_zero_days_of_cover_and_a_lead_time_of_0_is_none()
    {
        var empty = StockCover.Compute([Sold(0, 5)], Today, 0, leadTimeDays: 1);
        Assert.Equal(0m, empty.DaysOfCover);
        Assert.True(empty.RunsOutSoon);

        var noLead = StockCover.Compute([Sold(0, 5)], Today, 0, leadTimeDays: 0);
        Assert.Null(noLead.LeadTimeDays);
        Assert.False(noLead.RunsOutSoon);
    }

    [Fact]
    public void Sales_dated_after_today_are_ignored()
    {
        var cover = StockCover.Compute([Sold(-1, 70), Sold(0, 7)], Today, 10, null);
        Assert.Equal(7, cover.Sold7Days);
        Assert.Equal(7, cover.Sold28Days);
    }

    [Fact]
    public void The_window_starts_27_days_before_today_and_a_sale_counts_on_its_UTC_day()
    {
        Assert.Equal(new DateOnly(2026, 11, 3), StockCover.WindowStart(Today));
        Assert.Equal(new DateOnly(2026, 11, 30), StockCover.DayOf(new DateTimeOffset(2026, 11, 30, 0, 30, 0, TimeSpan.FromHours(-5)))); // 05:30 UTC
        Assert.Equal(new DateOnly(2026, 11, 29), StockCover.DayOf(new DateTimeOffset(2026, 11, 30, 0, 30, 0, TimeSpan.FromHours(1)))); // 23:30 UTC the day before
    }

    [Theory]
    [InlineData(false, false, CoverCrossing.None)]
    [InlineData(false, true, CoverCrossing.FellBelow)]
    [InlineData(true, true, CoverCrossing.None)] // still below: the crossing has had its alert
    [InlineData(true, false, CoverCrossing.Rearmed)]
    public void One_alert_per_crossing_and_rearmed_when_cover_is_back(bool wasBelow, bool isBelow, CoverCrossing expected) =>
        Assert.Equal(expected, StockCover.Crossing(wasBelow, isBelow));
}
