namespace Inventory.Api.Domain;

/// <summary>
/// The documented rule for a reservation or sale that names no warehouse: take the warehouse with the most
/// available units that can cover the whole quantity (ties go to the alphabetically first id). Units are
/// never split across warehouses, so one hold always ships from one place.
/// </summary>
public static class WarehouseChoice
{
    public static InventoryRow? Pick(IEnumerable<InventoryRow> rows, long quantity) =>
        Preferred(rows.Where(r => r.AvailableCount >= quantity)).FirstOrDefault();

    /// <summary>
    /// The warehouse that decides what a product-level answer says: the one a hold would take from (the most available
    /// units, ties alphabetical), so the product's available units are the most one hold can get.
    /// </summary>
    public static InventoryRow Lead(IEnumerable<InventoryRow> rows) => Preferred(rows).First();

    private static IOrderedEnumerable<InventoryRow> Preferred(IEnumerable<InventoryRow> rows) =>
        rows.OrderByDescending(r => r.AvailableCount).ThenBy(r => r.WarehouseId, StringComparer.Ordinal);
}
