using Inventory.Api.Domain;

namespace Inventory.Api.Features.Inventory;

/// <summary>One warehouse row as clients see it. <c>status</c> is computed from the live counts.</summary>
public sealed record InventoryRowView(
    string ProductId,
    string WarehouseId,
    long StockCount,
    long ReservedCount,
    long AvailableCount,
    long ThresholdLevel,
    StockStatus Status,
    string? Category,
    DateTimeOffset LastUpdated,
    long Version,
    string Etag)
{
    public static InventoryRowView From(InventoryRow row) => new(
        row.ProductId, row.WarehouseId, row.StockCount, row.ReservedCount, row.AvailableCount, row.ThresholdLevel,
        row.Status, row.Category, row.LastUpdated, row.Version, row.ETag);
}

/// <summary>A product's stock: totals over its warehouses plus each warehouse row.</summary>
public sealed record InventoryView(
    string ProductId,
    long StockCount,
    long ReservedCount,
    long AvailableCount,
    long ThresholdLevel,
    StockStatus Status,
    DateTimeOffset LastUpdated,
    IReadOnlyList<InventoryRowView> Warehouses)
{
    public static InventoryView From(string productId, IReadOnlyList<InventoryRow> rows)
    {
        var available = rows.Sum(r => r.AvailableCount);
        var threshold = rows.Sum(r => r.ThresholdLevel);
        return new InventoryView(
            productId,
            rows.Sum(r => r.StockCount),
            rows.Sum(r => r.ReservedCount),
            available,
            threshold,
            StockRules.StatusFor(available, threshold),
            rows.Max(r => r.LastUpdated),
            rows.Select(InventoryRowView.From).ToList());
    }

    /// <summary>A weak validator over every row's version and counts, for caches; If-Match wants a row's own ETag.</summary>
    public static string ETagFor(IReadOnlyList<InventoryRow> rows) =>
        "W/\"" + Fingerprint.Of(string.Join(';', rows.Select(r => $"{r.WarehouseId}:{r.Version}:{r.ReservedCount}"))) + "\"";
}

public sealed record PageView<T>(IReadOnlyList<T> Items, string? NextToken);
