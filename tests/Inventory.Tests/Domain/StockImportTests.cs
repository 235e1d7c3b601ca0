using Inventory.Api.Domain;

namespace Inventory.Tests.Domain;

/// <summary>The import's reading of a line's cells, what a line does to its row, and how exports write cells: pure, no DynamoDB.</summary>
public class StockImportTests
{
    private static InventoryRow Row(long stock, long reserved, long threshold = 5) =>
        new("p", "main", stock, reserved, stock - reserved, threshold, null, null, DateTimeOffset.UnixEpoch, Version: 3);

    private static ImportCells Cells(string? stock = null, string? adjust = null, string? reason = null, string? threshold = null, string? product = "p", string? warehouse = "main") =>
        new(2, product, warehouse, stock, adjust, reason, threshold);

    [Theory]
    [InlineData("12", 12)]
    [InlineData(" 12 ", 12)]
    [InlineData("0", 0)]
    [InlineData("+7", 7)]
    public void A_stock_cell_is_a_whole_number_with_an_optional_sign(string cell, long expected) =>
        Assert.Equal(expected, StockImport.Read(Cells(stock: cell)).Line!.Stock);

    [Theory]
    [InlineData("1.5", "not_a_number")]
    [InlineData("1e3", "not_a_number")]
    [InlineData("1,000", "not_a_number")]
    [InlineData("12a", "not_a_number")]
    [InlineData("+", "not_a_number")]
    [InlineData("99999999999999999999", "not_a_number")]
    [InlineData("-1", "out_of_range")]
    [InlineData("1000000001", "out_of_range")]
    public void A_stock_cell_that_is_not_a_count_is_refused_with_its_reason(string cell, string code) =>
        Assert.Equal(code, StockImport.Read(Cells(stock: cell)).Error!.Code);

    [Fact]
    public void Each_kind_of_mistake_in_a_line_has_its_code()
    {
        Assert.Equal("both_stock_and_adjust", StockImport.Read(Cells(stock: "1", adjust: "2", reason: "r")).Error!.Code);
        Assert.Equal("no_stock_or_adjust", StockImport.Read(Cells(reason: "r")).Error!.Code);
        Assert.Equal("reason_required", StockImport.Read(Cells(adjust: "-2", reason: "  ")).Error!.Code);
        Assert.Equal("zero_adjustment", StockImport.Read(Cells(adjust: "0", reason: "r")).Error!.Code);
        Assert.Equal("threshold_with_adjust", StockImport.Read(Cells(adjust: "2", reason: "r", threshold: "3")).Error!.Code);
        Assert.Equal("missing_product", StockImport.Read(Cells(stock: "1", product: " ")).Error!.Code);
        Assert.Equal("missing_warehouse", StockImport.Read(Cells(stock: "1", warehouse: null)).Error!.Code);
        Assert.Equal("invalid_id", StockImport.Read(Cells(stock: "1", product: "=cmd|x")).Error!.Code);
        Assert.Equal("reason_too_long", StockImport.Read(Cells(stock: "1", reason: new string('r', 501))).Error!.Code);
    }

    [Fact]
    public void A_line_is_planned_against_the_row_as_it_is()
    {
        var set = StockImport.Read(Cells(stock: "20", threshold: "4")).Line!;
        var plan = StockImport.Plan(set, Row(10, 3), productExists: true);
        Assert.Equal(ImportOutcome.WOULD_SET, plan.Outcome);
        Assert.Equal(new StockCounts(20, 3, 17, 4), plan.After);

        Assert.Equal(ImportOutcome.UNCHANGED, StockImport.Plan(StockImport.Read(Cells(stock: "10")).Line!, Row(10, 3), true).Outcome);
        Assert.Equal(ImportOutcome.WOULD_SET, StockImport.Plan(StockImport.Read(Cells(stock: "10", threshold: "6")).Line!, Row(10, 3), true).Outcome);
        Assert.Equal("stock_below_held", StockImport.Plan(StockImport.Read(Cells(stock: "2")).Line!, Row(10, 3), true).Error!.Code);
        Assert.Equal(ImportOutcome.WOULD_SET, StockImport.Plan(StockImport.Read(Cells(stock: "3")).Line!, Row(10, 3), true).Outcome);

        var takeSeven = StockImport.Read(Cells(adjust: "-7", reason: "damaged")).Line!;
        Assert.Equal(new StockCounts(3, 3, 0, 5), StockImport.Plan(takeSeven, Row(10, 3), true).After);
        var takeEight = StockImport.Plan(StockImport.Read(Cells(adjust: "-8", reason: "damaged")).Line!, Row(10, 3), true);
        Assert.Equal("adjust_exceeds_available", takeEight.Error!.Code);
        Assert.Contains("3 of the 10 in stock are held", takeEight.Error.Message);
        Assert.Equal("stock_limit", StockImport.Plan(StockImport.Read(Cells(adjust: "+2", reason: "r")).Line!, Row(Validator.MaxCount - 1, 0), true).Error!.Code);

        Assert.Equal("unknown_product", StockImport.Plan(set, null, productExists: false).Error!.Code);
        Assert.Equal("unknown_warehouse", StockImport.Plan(set, null, productExists: true).Error!.Code);
    }

    [Fact]
    public void The_same_line_has_the_same_fingerprint_and_any_other_content_another()
    {
        var line = StockImport.Read(Cells(adjust: "+5", reason: "received")).Line!;
        Assert.Equal(line.Fingerprint(), StockImport.Read(Cells(adjust: " +5 ", reason: "received ")).Line!.Fingerprint());
        Assert.NotEqual(line.Fingerprint(), StockImport.Read(Cells(adjust: "+6", reason: "received")).Line!.Fingerprint());
        Assert.Equal("import:abc#12", ImportLine.ReferenceOf("abc", 12));
    }

    [Fact]
    public void Csv_cells_are_quoted_when_needed_and_formula_text_is_written_as_text()
    {
        Assert.Equal("a,\"b, c\",\"say \"\"hi\"\"\",\"two\nlines\",-3,,2026-11-30T01:02:03.004Z\r\n",
            Csv.Line("a", "b, c", "say \"hi\"", "two\nlines", -3L, null, new DateTimeOffset(2026, 11, 30, 1, 2, 3, 4, TimeSpan.Zero)));
        Assert.Equal("'=SUM(A1:A9)", Csv.Text("=SUM(A1:A9)"));
        Assert.Equal("'+1", Csv.Text("+1"));
        Assert.Equal("'-2 broken", Csv.Text("-2 broken"));
        Assert.Equal("'@cmd", Csv.Text("@cmd"));
        Assert.Equal("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"", Csv.Text("=HYPERLINK(\"http://x\",\"y\")"));
        Assert.Equal("\" padded \"", Csv.Text(" padded "));
        Assert.Equal("plain", Csv.Text("plain"));
    }
}
