namespace Inventory.Api.Domain;

/// <summary>What a shopper is told about a row; derived from available units, never from raw stock.</summary>
public enum StockStatus
{
    IN_STOCK,
    LOW_STOCK,
    OUT_OF_STOCK,
}

public static class StockRules
{
    /// <summary>
    /// Status follows *available* units (stock minus holds): a product whose every unit sits in a cart
    /// cannot be bought, so it is out of stock even though the shelf is full.
    /// </summary>
    public static StockStatus StatusFor(long availableCount, long thresholdLevel) =>
        availableCount <= 0 ? StockStatus.OUT_OF_STOCK
        : availableCount <= thresholdLevel ? StockStatus.LOW_STOCK
        : StockStatus.IN_STOCK;
}
