using Inventory.Api.Domain;

namespace Inventory.Tests.Domain;

public class StockRulesTests
{
    [Theory]
    [InlineData(0, 5, StockStatus.OUT_OF_STOCK)]
    [InlineData(-1, 5, StockStatus.OUT_OF_STOCK)]
    [InlineData(1, 5, StockStatus.LOW_STOCK)]
    [InlineData(5, 5, StockStatus.LOW_STOCK)]
    [InlineData(6, 5, StockStatus.IN_STOCK)]
    [InlineData(1, 0, StockStatus.IN_STOCK)]
    [InlineData(0, 0, StockStatus.OUT_OF_STOCK)]
    public void Status_follows_available_units_against_the_threshold(long available, long threshold, StockStatus expected) =>
        Assert.Equal(expected, StockRules.StatusFor(available, threshold));

    [Fact]
    public void A_row_whose_stored_status_lags_its_counts_reports_the_status_its_counts_imply()
    {
        var row = new InventoryRow("p", "w", 10, 8, 2, 5, StockStatus.IN_STOCK, null, DateTimeOffset.UnixEpoch, 3);
        Assert.Equal(StockStatus.LOW_STOCK, row.Status);
        Assert.Equal("\"3\"", row.ETag);
    }
}

public class ETagTests
{
    [Theory]
    [InlineData("\"7\"", 7)]
    [InlineData("W/\"12\"", 12)]
    [InlineData("9", 9)]
    public void Parses_the_etags_the_service_issues(string etag, long version)
    {
        Assert.True(ETags.TryParseVersion(etag, out var parsed));
        Assert.Equal(version, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("\"abc\"")]
    [InlineData("\"0\"")]
    [InlineData("\"-3\"")]
    [InlineData("\"99999999999999999999999\"")]
    public void Refuses_anything_else(string etag) => Assert.False(ETags.TryParseVersion(etag, out _));
}

public class ValidatorTests
{
    [Fact]
    public void Collects_every_fault_before_refusing()
    {
        var error = Assert.Throws<InventoryException>(() => new Validator()
            .Id("product_id", "")
            .Id("reservation_id", new string('x', 2000))
            .Range("quantity", 0, 1, 10)
            .ThrowIfInvalid());

        Assert.Equal("validation_failed", error.Code);
        Assert.Equal(RefusalKind.Invalid, error.Kind);
        var errors = (IReadOnlyDictionary<string, string[]>)error.Details["errors"]!;
        Assert.Equal(["product_id", "quantity", "reservation_id"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("sku-123")]
    [InlineData("cart:42@session~1")]
    [InlineData("A")]
    public void Accepts_reasonable_ids(string id) => new Validator().Id("id", id).ThrowIfInvalid();

    [Theory]
    [InlineData(" leading-space")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData("emoji-\U0001F600")]
    public void Refuses_ids_that_would_be_ambiguous_in_paths_or_logs(string id) =>
        Assert.Throws<InventoryException>(() => new Validator().Id("id", id).ThrowIfInvalid());

    [Fact]
    public void Optional_fields_may_be_absent_but_not_wrong()
    {
        new Validator().Id("warehouse_id", null, required: false).Range("ttl", null, 1, 5, required: false).ThrowIfInvalid();
        Assert.Throws<InventoryException>(() => new Validator().Range("ttl", 6, 1, 5, required: false).ThrowIfInvalid());
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.00001)]
    public void Prices_are_non_negative_with_at_most_four_decimals(double price) =>
        Assert.Throws<InventoryException>(() => new Validator().Price("price", (decimal)price).ThrowIfInvalid());
}

public class WarehouseChoiceTests
{
    private static InventoryRow Row(string warehouse, long available) =>
        new("p", warehouse, available, 0, available, 0, StockStatus.IN_STOCK, null, DateTimeOffset.UnixEpoch, 1);

    [Fact]
    public void Picks_the_warehouse_with_the_most_available_that_covers_the_quantity() =>
        Assert.Equal("b", WarehouseChoice.Pick([Row("a", 5), Row("b", 9), Row("c", 2)], 3)!.WarehouseId);

    [Fact]
    public void Ties_go_to_the_alphabetically_first_warehouse() =>
        Assert.Equal("a", WarehouseChoice.Pick([Row("b", 5), Row("a", 5)], 5)!.WarehouseId);

    [Fact]
    public void Never_splits_a_quantity_no_single_warehouse_can_cover() =>
        Assert.Null(WarehouseChoice.Pick([Row("a", 5), Row("b", 5)], 6));
}

public class FingerprintTests
{
    [Fact]
    public void Same_parts_same_fingerprint_different_parts_different()
    {
        Assert.Equal(Fingerprint.Of("a", 1, null), Fingerprint.Of("a", 1, null));
        Assert.NotEqual(Fingerprint.Of("a", 1), Fingerprint.Of("a", 2));
        Assert.NotEqual(Fingerprint.Of("ab", "c"), Fingerprint.Of("a", "bc"));
    }
}

public class ReservationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static Reservation Hold(ReservationStatus status, DateTimeOffset expiresAt) =>
        new("p", "r", "main", 2, status, Now.AddMinutes(-10), expiresAt, "fingerprint");

    [Fact]
    public void An_active_hold_whose_time_is_not_up_can_be_extended()
    {
        Hold(ReservationStatus.ACTIVE, Now.AddMinutes(1)).EnsureExtendable(Now);
    }

    [Theory]
    [InlineData(ReservationStatus.ACTIVE, -1, "reservation_expired")]
    [InlineData(ReservationStatus.ACTIVE, 0, "reservation_expired")]
    [InlineData(ReservationStatus.EXPIRED, 5, "reservation_expired")]
    [InlineData(ReservationStatus.RELEASED, 5, "reservation_not_active")]
    [InlineData(ReservationStatus.FULFILLED, 5, "reservation_not_active")]
    public void A_hold_past_its_time_or_finished_cannot_be_extended(ReservationStatus status, int minutesLeft, string code)
    {
        var refusal = Assert.Throws<InventoryException>(() => Hold(status, Now.AddMinutes(minutesLeft)).EnsureExtendable(Now));
        Assert.Equal(code, refusal.Code);
    }

    [Theory]
    [InlineData(ReservationStatus.ACTIVE, true)]
    [InlineData(ReservationStatus.RELEASED, false)]
    [InlineData(ReservationStatus.EXPIRED, false)]
    public void Releasing_acts_on_an_active_hold_and_is_a_no_op_on_one_already_back(ReservationStatus status, bool needed) =>
        Assert.Equal(needed, Hold(status, Now.AddMinutes(1)).NeedsRelease());

    [Theory]
    [InlineData(ReservationStatus.ACTIVE, 1, ReservationStatus.ACTIVE)]
    [InlineData(ReservationStatus.ACTIVE, 0, ReservationStatus.EXPIRED)]
    [InlineData(ReservationStatus.ACTIVE, -1, ReservationStatus.EXPIRED)]
    [InlineData(ReservationStatus.RELEASED, 5, ReservationStatus.RELEASED)]
    [InlineData(ReservationStatus.FULFILLED, -5, ReservationStatus.FULFILLED)]
    public void A_hold_is_held_only_while_active_and_within_its_time(ReservationStatus stored, int minutesLeft, ReservationStatus now) =>
        Assert.Equal(now, Hold(stored, Now.AddMinutes(minutesLeft)).StatusAt(Now));

    [Fact]
    public void A_sold_hold_cannot_be_released()
    {
        var refusal = Assert.Throws<InventoryException>(() => Hold(ReservationStatus.FULFILLED, Now).NeedsRelease());
        Assert.Equal("reservation_not_active", refusal.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(2L)]
    public void An_active_hold_sells_at_its_own_quantity(long? quantity) =>
        Hold(ReservationStatus.ACTIVE, Now.AddMinutes(1)).EnsureSellable(quantity);

    [Theory]
    [InlineData(ReservationStatus.ACTIVE, 3L, "validation_failed")]
    [InlineData(ReservationStatus.RELEASED, null, "reservation_not_active")]
    [InlineData(ReservationStatus.EXPIRED, null, "reservation_not_active")]
    [InlineData(ReservationStatus.FULFILLED, 2L, "reservation_not_active")]
    public void Only_an_active_hold_of_the_same_quantity_can_be_sold(ReservationStatus status, long? quantity, string code)
    {
        var refusal = Assert.Throws<InventoryException>(() => Hold(status, Now.AddMinutes(1)).EnsureSellable(quantity));
        Assert.Equal(code, refusal.Code);
    }
}
