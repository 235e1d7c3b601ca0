namespace Inventory.Api.Domain;

/// <summary>A catalogue entry. Its stock lives in <see cref="InventoryRow"/>s keyed by the same id.</summary>
public sealed record Product(
    string Sku,
    string Name,
    string? Description,
    decimal Price,
    string? ImageUrl,
    string? Category,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
