namespace Inventory.Api.Domain;

/// <summary>
/// The documented rule for a reservation or sale that names no warehouse: take the warehouse with the most
/// available units that can cover the whole quantity (ties go to the alphabetically first id). Units are
/// never split across warehouses, so one hold always ships from one place.
/// </summary>
public static class WarehouseChoice
{
    public static InventoryRow? Pick(IEnumerable<InventoryRow> rows, long quantity) =>
        rows.Where(r => r.AvailableCount >= quantity)
            .OrderByDescending(r => r.AvailableCount)
            .ThenBy(r => r.WarehouseId, StringComparer.Ordinal)
            .FirstOrDefault();
}
