namespace Inventory.Api.Domain;

/// <summary>
/// A catalogue entry. Its stock lives in <see cref="InventoryRow"/>s keyed by the same id. <paramref name="LeadTimeDays"/>
/// is how many days a restock takes, if known: a row whose days of cover fall below it runs out soon (<see cref="StockCover"/>).
/// </summary>
public sealed record Product(
    string Sku,
    string Name,
    string? Description,
    decimal Price,
    string? ImageUrl,
    string? Category,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int? LeadTimeDays = null);
