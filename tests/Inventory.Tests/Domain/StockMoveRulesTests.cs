using Inventory.Api.Domain;

namespace Inventory.Tests.Domain;

/// <summary>The rules of transfers and receipts that need no DynamoDB: their history entries, shipment lines, incoming units.</summary>
public class StockMoveRulesTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static StockMovement Entry(MoveKind kind, StockCounts before, StockCounts after) =>
        new("p", "main", 2, kind, StockMovement.QuantityOf(kind, before, after), before, after, "admin", null, "ref", T);

    [Fact]
    public void A_transfer_entry_moves_stock_and_available_together_signed_by_direction_and_leaves_holds_alone()
    {
        var outgoing = Entry(MoveKind.TRANSFER, new StockCounts(30, 2, 28, 5), new StockCounts(18, 2, 16, 5));
        var incoming = Entry(MoveKind.TRANSFER, new StockCounts(2, 0, 2, 5), new StockCounts(14, 0, 14, 5));
        Assert.Equal((-12L, 12L), (outgoing.Quantity, incoming.Quantity));
        Assert.True(outgoing.IsConsistent());
        Assert.True(incoming.IsConsistent());

        // Held units never move: a "transfer" that changed the reserved count is not what the entry says.
        Assert.False(Entry(MoveKind.TRANSFER, new StockCounts(30, 2, 28, 5), new StockCounts(28, 0, 28, 5)).IsConsistent());
        Assert.False(Entry(MoveKind.TRANSFER, new StockCounts(30, 2, 28, 5), new StockCounts(30, 2, 28, 5)).IsConsistent());
    }

    [Fact]
    public void A_receipt_entry_only_raises_stock()
    {
        var receipt = Entry(MoveKind.RECEIPT, new StockCounts(5, 1, 4, 3), new StockCounts(9, 1, 8, 3));
        Assert.Equal(4, receipt.Quantity);
        Assert.True(receipt.IsConsistent());
        Assert.False(Entry(MoveKind.RECEIPT, new StockCounts(9, 1, 8, 3), new StockCounts(5, 1, 4, 3)).IsConsistent());
        Assert.False(Entry(MoveKind.RECEIPT, new StockCounts(5, 1, 4, 3), new StockCounts(9, 1, 8, 4)).IsConsistent());
    }

    private static ShipmentLine Line(long expected, long received, bool allowOver = false, bool open = true, string warehouse = "main", int day = 3) =>
        new("po-1", "PO-1", "p", warehouse, expected, received, new DateOnly(2026, 12, day), allowOver, open);

    [Fact]
    public void A_line_takes_units_up_to_what_it_expects_unless_it_allows_more()
    {
        Assert.True(Line(10, 4).Accepts(6));
        Assert.False(Line(10, 4).Accepts(7));
        Assert.True(Line(10, 4, allowOver: true).Accepts(70));
        Assert.Equal((6L, ShipmentStatus.OPEN), (Line(10, 4).IncomingCount, Line(10, 4).Status));
        Assert.Equal((0L, ShipmentStatus.RECEIVED), (Line(10, 12, open: false).IncomingCount, Line(10, 12, open: false).Status));
        Assert.Equal((0L, ShipmentStatus.CLOSED), (Line(10, 4, open: false).IncomingCount, Line(10, 4, open: false).Status));
        Assert.True(ShipmentLine.StillExpected(10, 9));
        Assert.False(ShipmentLine.StillExpected(10, 10));
    }

    [Fact]
    public void Incoming_units_add_up_per_warehouse_with_the_earliest_date()
    {
        var incoming = Incoming.ByWarehouse([Line(10, 4, day: 9), Line(5, 0, day: 4), Line(8, 0, warehouse: "east", day: 20), Line(3, 3, open: false, day: 1)]);
        Assert.Equal(new Incoming(11, new DateOnly(2026, 12, 4)), incoming["main"]);
        Assert.Equal(new Incoming(8, new DateOnly(2026, 12, 20)), incoming["east"]);
        Assert.Equal(2, incoming.Count);
    }

    [Fact]
    public void A_shipment_names_every_receipt_line_that_would_pass_its_expected_quantity()
    {
        var shipment = new Shipment("po-1", "PO-1", "main", T, "erp", null,
            [Line(10, 8) with { ProductId = "a" }, Line(5, 5, allowOver: true, open: false) with { ProductId = "b" }, Line(4, 0) with { ProductId = "c" }], [], "f");
        var over = shipment.OverReceived([new ReceiptLine("a", 3), new ReceiptLine("b", 9), new ReceiptLine("c", 4)]);
        Assert.Equal([new OverReceivedLine("a", 10, 8, 3)], over);
        Assert.Equal(ShipmentStatus.OPEN, shipment.Status);
        Assert.Equal(ShipmentStatus.CLOSED, (shipment with { ClosedAt = T }).Status);
    }
}
