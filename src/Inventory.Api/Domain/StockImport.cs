using System.Globalization;

namespace Inventory.Api.Domain;

/// <summary>One line of an import as it was written in the file: every cell text, as the operator typed it.</summary>
/// <param name="Line">The line's number in the file (the header is line 1), which every answer about it names.</param>
public sealed record ImportCells(
    int Line, string? ProductId, string? WarehouseId, string? Stock, string? Adjust, string? Reason, string? Threshold);

/// <summary>A line that reads correctly: an absolute stock (with an optional threshold) or a signed adjustment with a reason.</summary>
public sealed record ImportLine(int Line, string ProductId, string WarehouseId, long? Stock, long? Adjust, string? Reason, long? Threshold)
{
    public bool IsAbsolute => Stock is not null;

    /// <summary>The history's reference of this line's change, and what ties a repeat to the first apply.</summary>
    public static string ReferenceOf(string importId, int line) => $"import:{importId}#{line.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>What the line asks for, so the same import id and line number with other content is told apart from a repeat.</summary>
    public string Fingerprint() => Domain.Fingerprint.Of("import", ProductId, WarehouseId, Stock, Adjust, Reason, Threshold);
}

public enum ImportOutcome
{
    /// <summary>Dry run: the stock (and threshold) would be set.</summary>
    WOULD_SET,

    /// <summary>Dry run: the stock would move by the adjustment.</summary>
    WOULD_ADJUST,

    /// <summary>Nothing to change: the row already holds these values, or this import already applied the line.</summary>
    UNCHANGED,

    /// <summary>The line is wrong, or the row does not allow it: nothing was (or would be) written.</summary>
    ERROR,

    /// <summary>Apply: the line was written.</summary>
    APPLIED,
}

/// <summary>Why a line cannot be imported, in a code for programs and a sentence for the operator.</summary>
public sealed record ImportError(string Code, string Message);

/// <summary>What one line would do, or did, to its row.</summary>
public sealed record ImportLinePlan(ImportOutcome Outcome, StockCounts? Before, StockCounts? After, ImportError? Error = null)
{
    public static ImportLinePlan Refused(string code, string message) => new(ImportOutcome.ERROR, null, null, new ImportError(code, message));
}

/// <summary>
/// The rules of a stock import, with no storage: reading a line's cells, and what a line does to the row it names.
/// The file's columns are <see cref="Columns"/>; the panel and docs/api.md list them.
/// </summary>
public static class StockImport
{
    /// <summary>The columns of an import file (and of the stock export, which adds columns the import ignores).</summary>
    public static readonly IReadOnlyList<string> Columns = ["product_id", "warehouse_id", "stock", "adjust", "reason", "threshold"];

    /// <summary>The most lines one request may carry: a 1 MB body holds them with room to spare, and they finish well inside 29 s.</summary>
    public const int MaxLinesPerRequest = 500;

    public const int MaxReasonLength = 500;

    /// <summary>Reads a line's cells. Empty cells are absent; numbers are whole, optionally signed, with no separators.</summary>
    public static (ImportLine? Line, ImportError? Error) Read(ImportCells cells)
    {
        var productId = Blank(cells.ProductId);
        var warehouseId = Blank(cells.WarehouseId);
        if (productId is null)
        {
            return Fail("missing_product", "The product_id cell is empty.");
        }

        if (!IsId(productId))
        {
            return Fail("invalid_id", $"\"{Shorten(productId)}\" is not a product id (letters, digits and . _ - : @ ~, at most {Validator.MaxIdLength}).");
        }

        if (warehouseId is null)
        {
            return Fail("missing_warehouse", "The warehouse_id cell is empty.");
        }

        if (!IsId(warehouseId))
        {
            return Fail("invalid_id", $"\"{Shorten(warehouseId)}\" is not a warehouse id (letters, digits and . _ - : @ ~, at most {Validator.MaxIdLength}).");
        }

        var stockText = Blank(cells.Stock);
        var adjustText = Blank(cells.Adjust);
        var thresholdText = Blank(cells.Threshold);
        var reason = Blank(cells.Reason);
        if (stockText is not null && adjustText is not null)
        {
            return Fail("both_stock_and_adjust", "Both stock and adjust are filled in: give a new stock or an adjustment, not both.");
        }

        if (stockText is null && adjustText is null)
        {
            return Fail("no_stock_or_adjust", "Neither stock nor adjust is filled in: give a new stock or an adjustment.");
        }

        long? stock = null, adjust = null, threshold = null;
        if (stockText is not null)
        {
            if (!TryWhole(stockText, out var s))
            {
                return Fail("not_a_number", $"stock \"{Shorten(stockText)}\" is not a whole number.");
            }

            if (s < 0 || s > Validator.MaxCount)
            {
                return Fail("out_of_range", $"stock {s} must be from 0 to {Validator.MaxCount}.");
            }

            stock = s;
        }
        else
        {
            if (!TryWhole(adjustText!, out var d))
            {
                return Fail("not_a_number", $"adjust \"{Shorten(adjustText!)}\" is not a whole number (write +5 or -3).");
            }

            if (d == 0)
            {
                return Fail("zero_adjustment", "adjust is 0: an adjustment must add or remove units.");
            }

            if (d < -Validator.MaxCount || d > Validator.MaxCount)
            {
                return Fail("out_of_range", $"adjust {d} must be from -{Validator.MaxCount} to {Validator.MaxCount}.");
            }

            if (reason is null)
            {
                return Fail("reason_required", "An adjustment needs a reason (received, damaged, recount…).");
            }

            adjust = d;
        }

        if (thresholdText is not null)
        {
            if (adjust is not null)
            {
                return Fail("threshold_with_adjust", "A threshold can be set only on a stock line, not with an adjustment.");
            }

            if (!TryWhole(thresholdText, out var t))
            {
                return Fail("not_a_number", $"threshold \"{Shorten(thresholdText)}\" is not a whole number.");
            }

            if (t < 0 || t > Validator.MaxCount)
            {
                return Fail("out_of_range", $"threshold {t} must be from 0 to {Validator.MaxCount}.");
            }

            threshold = t;
        }

        if (reason is { Length: > MaxReasonLength })
        {
            return Fail("reason_too_long", $"The reason is {reason.Length} characters long; at most {MaxReasonLength}.");
        }

        return (new ImportLine(cells.Line, productId, warehouseId, stock, adjust, reason, threshold), null);
    }

    /// <summary>
    /// What the line does to the row as it is now (<paramref name="row"/> null: the product has no row in that warehouse,
    /// <paramref name="productExists"/> false: no such product at all). An absolute stock may not go below the units
    /// held; an adjustment may take only available units and may not pass the ceiling.
    /// </summary>
    public static ImportLinePlan Plan(ImportLine line, InventoryRow? row, bool productExists)
    {
        if (!productExists)
        {
            return ImportLinePlan.Refused("unknown_product", $"There is no product \"{line.ProductId}\".");
        }

        if (row is null)
        {
            return ImportLinePlan.Refused("unknown_warehouse", $"Product \"{line.ProductId}\" has no stock in warehouse \"{line.WarehouseId}\".");
        }

        var before = row.Counts;
        if (line.Stock is { } stock)
        {
            var threshold = line.Threshold ?? row.ThresholdLevel;
            if (stock == row.StockCount && threshold == row.ThresholdLevel)
            {
                return new ImportLinePlan(ImportOutcome.UNCHANGED, before, before);
            }

            if (stock < row.ReservedCount)
            {
                return ImportLinePlan.Refused("stock_below_held",
                    $"Stock {stock} is below the {row.ReservedCount} units held in shoppers' carts; set at least {row.ReservedCount}.");
            }

            return new ImportLinePlan(ImportOutcome.WOULD_SET, before, new StockCounts(stock, row.ReservedCount, stock - row.ReservedCount, threshold));
        }

        var delta = line.Adjust!.Value;
        if (delta < 0 && -delta > row.AvailableCount)
        {
            return ImportLinePlan.Refused("adjust_exceeds_available", row.ReservedCount > 0
                ? $"Removing {-delta} units needs {-delta} available; only {row.AvailableCount} are ({row.ReservedCount} of the {row.StockCount} in stock are held in carts)."
                : $"Removing {-delta} units needs {-delta} available; only {row.AvailableCount} are in stock.");
        }

        if (delta > 0 && row.StockCount + delta > Validator.MaxCount)
        {
            return ImportLinePlan.Refused("stock_limit", $"Adding {delta} units to {row.StockCount} would pass the limit of {Validator.MaxCount}.");
        }

        return new ImportLinePlan(ImportOutcome.WOULD_ADJUST, before,
            new StockCounts(row.StockCount + delta, row.ReservedCount, row.AvailableCount + delta, row.ThresholdLevel));
    }

    /// <summary>A cell with only spaces is as empty as an empty one (spreadsheets leave both).</summary>
    private static string? Blank(string? cell) => string.IsNullOrWhiteSpace(cell) ? null : cell.Trim();

    /// <summary>Plain digits with an optional sign: no decimals, exponents, thousands separators or spaces inside.</summary>
    private static bool TryWhole(string text, out long value)
    {
        value = 0;
        var digits = text.StartsWith('+') || text.StartsWith('-') ? text[1..] : text;
        return digits.Length is > 0 and <= 12 && digits.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsId(string value) => new Validator().Id("id", value).IsValid;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static (ImportLine?, ImportError?) Fail(string code, string message) => (null, new ImportError(code, message));
}
