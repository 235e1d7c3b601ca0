using Inventory.Api.Domain;

namespace Inventory.Api.Features.Inventory;

/// <summary>
/// One warehouse row as clients see it. <c>status</c> is computed from the live counts. <c>incoming_count</c> and
/// <c>next_expected_date</c> (units still expected on open inbound shipments into this warehouse, and the earliest date
/// one of them is expected) are given by <c>GET /inventory/{id}</c> and null where the answer did not read them.
/// </summary>
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
    string Etag,
    long? IncomingCount = null,
    DateOnly? NextExpectedDate = null)
{
    public static InventoryRowView From(InventoryRow row) => new(
        row.ProductId, row.WarehouseId, row.StockCount, row.ReservedCount, row.AvailableCount, row.ThresholdLevel,
        row.Status, row.Category, row.LastUpdated, row.Version, row.ETag);

    /// <summary>The row with the units its open shipments still bring.</summary>
    public static InventoryRowView From(InventoryRow row, Incoming incoming) =>
        From(row) with { IncomingCount = incoming.IncomingCount, NextExpectedDate = incoming.NextExpectedDate };
}

/// <summary>
/// A product's stock across its warehouses. A hold never spans warehouses, so what a shopper can buy is decided by one
/// warehouse, the *lead* one (<see cref="WarehouseChoice.Lead"/>: the one a hold without a warehouse would take from).
/// <c>available_count</c>, <c>threshold_level</c> and <c>status</c> are the lead warehouse's, so the product's status is
/// always one of its rows' statuses (announced by that row's alert) and "3 left" means one order can get 3.
/// <c>stock_count</c>, <c>reserved_count</c> and <c>total_available_count</c> are sums over every warehouse, for staff.
/// <c>incoming_count</c> and <c>next_expected_date</c> sum and take the earliest over the warehouses' open inbound
/// shipments (null where the answer did not read them: GET /products/{sku}).
/// </summary>
public sealed record InventoryView(
    string ProductId,
    long StockCount,
    long ReservedCount,
    long AvailableCount,
    long TotalAvailableCount,
    long ThresholdLevel,
    StockStatus Status,
    string LeadWarehouseId,
    DateTimeOffset LastUpdated,
    IReadOnlyList<InventoryRowView> Warehouses,
    long? IncomingCount = null,
    DateOnly? NextExpectedDate = null)
{
    /// <summary>With the incoming units of each warehouse (its open shipments), as GET /inventory/{id} answers.</summary>
    public static InventoryView From(string productId, IReadOnlyList<InventoryRow> rows, IReadOnlyDictionary<string, Incoming> incoming)
    {
        var of = rows.Select(r => incoming.GetValueOrDefault(r.WarehouseId) ?? Incoming.None).ToList();
        return From(productId, rows) with
        {
            Warehouses = rows.Select((r, i) => InventoryRowView.From(r, of[i])).ToList(),
            IncomingCount = of.Sum(i => i.IncomingCount),
            NextExpectedDate = of.Select(i => i.NextExpectedDate).Where(d => d is not null).Min(),
        };
    }

    public static InventoryView From(string productId, IReadOnlyList<InventoryRow> rows)
    {
        var lead = WarehouseChoice.Lead(rows);
        return new InventoryView(
            productId,
            rows.Sum(r => r.StockCount),
            rows.Sum(r => r.ReservedCount),
            lead.AvailableCount,
            rows.Sum(r => r.AvailableCount),
            lead.ThresholdLevel,
            lead.Status,
            lead.WarehouseId,
            rows.Max(r => r.LastUpdated),
            rows.Select(InventoryRowView.From).ToList());
    }

    /// <summary>A weak validator over every row's version and counts, for caches; If-Match wants a row's own ETag.</summary>
    public static string ETagFor(IReadOnlyList<InventoryRow> rows) =>
        "W/\"" + Fingerprint.Of(string.Join(';', rows.Select(r => $"{r.WarehouseId}:{r.Version}:{r.ReservedCount}"))) + "\"";
}

public sealed record PageView<T>(IReadOnlyList<T> Items, string? NextToken);
