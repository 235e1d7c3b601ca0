using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Inventory.Api.Projections;

namespace Inventory.Tests.Domain;

/// <summary>How a change record becomes a history entry, and what a row's chain of entries must be: pure, no DynamoDB.</summary>
public class HistoryEntryTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, AttributeValue> Row(long stock, long reserved, long threshold, long moves, string kind, string by, string? reference = null, string? status = null)
    {
        var move = new Dictionary<string, AttributeValue> { ["kind"] = new() { S = kind }, ["by"] = new() { S = by } };
        if (reference is not null)
        {
            move["ref"] = new() { S = reference };
        }

        var row = new Dictionary<string, AttributeValue>
        {
            ["product_id"] = new() { S = "p" },
            ["warehouse_id"] = new() { S = "main" },
            ["stock_count"] = new() { N = stock.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["reserved_count"] = new() { N = reserved.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["available_count"] = new() { N = (stock - reserved).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["threshold_level"] = new() { N = threshold.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["last_updated"] = new() { S = "2026-11-29T10:00:00.000Z" },
            ["version"] = new() { N = "2" },
            ["move_seq"] = new() { N = moves.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["last_move"] = new() { M = move },
        };
        if (status is not null)
        {
            row["status"] = new() { S = status };
        }

        return row;
    }

    [Fact]
    public void A_hold_record_becomes_an_entry_with_both_images_counts_and_the_writes_attribution()
    {
        var record = new ChangeRecord("100", Row(20, 0, 5, 2, "SET", "admin"), Row(20, 3, 5, 3, "HOLD", "platform", "cart-1"));

        var entry = HistoryProjection.MovementOf(record)!;

        Assert.Equal(new StockMovement("p", "main", 3, MoveKind.HOLD, 3, new StockCounts(20, 0, 20, 5), new StockCounts(20, 3, 17, 5), "platform", null, "cart-1", T), entry);
        Assert.True(entry.IsConsistent());
        Assert.Equal(entry, HistoryProjection.MovementOf(record)); // the same record, handed over again, is the same entry
    }

    [Fact]
    public void A_new_row_starts_from_zero_and_a_change_that_moved_no_count_is_no_entry()
    {
        var created = HistoryProjection.MovementOf(new ChangeRecord("1", null, Row(0, 0, 5, 1, "CREATE", "admin")))!;
        Assert.Equal(MoveKind.CREATE, created.Kind);
        Assert.Equal(StockCounts.Zero, created.Before);
        Assert.Equal(1, created.Sequence);

        // The stream's own status write (and a category change) leaves the move number where it was.
        Assert.Null(HistoryProjection.MovementOf(new ChangeRecord("2", Row(20, 3, 5, 3, "HOLD", "platform", "c"), Row(20, 3, 5, 3, "HOLD", "platform", "c", "IN_STOCK"))));
        Assert.Null(HistoryProjection.MovementOf(new ChangeRecord("3", Row(20, 3, 5, 3, "HOLD", "p"), null))); // removed
        var before = Row(20, 0, 5, 1, "CREATE", "x");
        before.Remove("move_seq");
        var after = new Dictionary<string, AttributeValue>(before) { ["status"] = new() { S = "IN_STOCK" } };
        Assert.Null(HistoryProjection.MovementOf(new ChangeRecord("4", before, after))); // a row from before the history
    }

    [Fact]
    public void A_record_whose_kind_is_unknown_is_refused_rather_than_recorded_wrong()
    {
        var record = new ChangeRecord("5", Row(20, 0, 5, 2, "SET", "admin"), Row(20, 3, 5, 3, "TELEPORT", "platform"));
        Assert.Throws<FormatException>(() => HistoryProjection.MovementOf(record));
    }

    [Theory]
    [InlineData(MoveKind.HOLD, 20, 0, 20, 3, 3)]
    [InlineData(MoveKind.RELEASE, 20, 3, 20, 0, 3)]
    [InlineData(MoveKind.EXPIRY, 20, 5, 20, 1, 4)]
    [InlineData(MoveKind.SALE, 20, 3, 16, 0, 4)] // 3 held and 1 direct
    [InlineData(MoveKind.ADJUSTMENT, 20, 0, 15, 0, -5)]
    [InlineData(MoveKind.SET, 20, 2, 50, 2, 30)]
    public void The_quantity_is_what_the_kind_moves(MoveKind kind, long stockBefore, long reservedBefore, long stockAfter, long reservedAfter, long quantity)
    {
        var before = new StockCounts(stockBefore, reservedBefore, stockBefore - reservedBefore, 5);
        var after = new StockCounts(stockAfter, reservedAfter, stockAfter - reservedAfter, 5);
        Assert.Equal(quantity, StockMovement.QuantityOf(kind, before, after));
        Assert.True(new StockMovement("p", "w", 2, kind, quantity, before, after, "k", null, null, T).IsConsistent());
    }

    [Fact]
    public void An_entry_whose_counts_do_not_move_as_its_kind_says_is_inconsistent()
    {
        var before = new StockCounts(20, 0, 20, 5);
        Assert.False(new StockMovement("p", "w", 2, MoveKind.HOLD, 3, before, new StockCounts(17, 0, 17, 5), "k", null, null, T).IsConsistent());
        Assert.False(new StockMovement("p", "w", 2, MoveKind.ADJUSTMENT, 3, before, new StockCounts(23, 0, 20, 5), "k", null, null, T).IsConsistent());
        Assert.False(new StockMovement("p", "w", 2, MoveKind.THRESHOLD, 0, before, new StockCounts(21, 0, 21, 6), "k", null, null, T).IsConsistent());
    }

    private static StockMovement Entry(long sequence, MoveKind kind, StockCounts before, StockCounts after) =>
        new("p", "main", sequence, kind, StockMovement.QuantityOf(kind, before, after), before, after, "k", null, null, T);

    private static InventoryRow RowOf(StockCounts c, long moves) =>
        new("p", "main", c.Stock, c.Reserved, c.Available, c.Threshold, null, null, T, 1, moves);

    [Fact]
    public void A_complete_chain_has_no_fault_and_a_gap_a_break_or_a_short_end_each_show()
    {
        var zero = StockCounts.Zero;
        var created = new StockCounts(0, 0, 0, 5);
        var stocked = new StockCounts(20, 0, 20, 5);
        var held = new StockCounts(20, 3, 17, 5);
        var sold = new StockCounts(17, 0, 17, 5);
        List<StockMovement> chain =
        [
            Entry(1, MoveKind.CREATE, zero, created), Entry(2, MoveKind.SET, created, stocked),
            Entry(3, MoveKind.HOLD, stocked, held), Entry(4, MoveKind.SALE, held, sold),
        ];

        Assert.Empty(HistoryChain.Faults(chain, RowOf(sold, 4), settled: true));

        List<StockMovement> twice = [.. chain[..3], chain[2], chain[3]];
        Assert.Contains(HistoryChain.Faults(twice, RowOf(sold, 4), settled: true), f => f.Rule == "history_once");

        var gap = chain.Where(e => e.Sequence != 3).ToList();
        Assert.Contains(HistoryChain.Faults(gap, RowOf(sold, 4), settled: true), f => f.Rule == "history_complete");

        var broken = chain.Select(e => e.Sequence == 3 ? e with { Before = created, After = new StockCounts(0, 3, -3, 5) } : e).ToList();
        Assert.Contains(HistoryChain.Faults(broken, RowOf(sold, 4), settled: true), f => f.Rule == "history_continuous");

        // The row has moved on: until the stream catches up that is lag, afterwards a missing entry.
        var moved = RowOf(new StockCounts(17, 1, 16, 5), 5);
        Assert.Empty(HistoryChain.Faults(chain, moved, settled: false));
        var faults = HistoryChain.Faults(chain, moved, settled: true).Select(f => f.Rule).ToList();
        Assert.Contains("history_complete", faults);
        Assert.Contains("history_matches_counts", faults);
    }

    [Fact]
    public void A_chain_whose_oldest_entries_expired_is_checked_from_the_oldest_kept()
    {
        var a = new StockCounts(20, 0, 20, 5);
        var b = new StockCounts(20, 2, 18, 5);
        var c = new StockCounts(20, 0, 20, 5);
        Assert.Empty(HistoryChain.Faults([Entry(41, MoveKind.HOLD, a, b), Entry(42, MoveKind.RELEASE, b, c)], RowOf(c, 42), settled: true));
    }
}
