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
    public void A_row_whose_stored_status_lags_its_counts_reports_the_exact_status_and_knows_it_is_stale()
    {
        var row = new InventoryRow("p", "w", 10, 8, 2, 5, StockStatus.IN_STOCK, null, DateTimeOffset.UnixEpoch, 3);
        Assert.Equal(StockStatus.LOW_STOCK, row.Status);
        Assert.True(row.StatusIsStale);
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
        Assert.Equal(400, error.Status);
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
