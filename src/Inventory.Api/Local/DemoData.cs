using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Inventory.Api.Features.Shipments;

namespace Inventory.Api.Local;

/// <summary>A few products in each state, so a fresh `make start` has something to show. Safe to run on every start.</summary>
public static class DemoData
{
    private static readonly (string Sku, string Name, decimal Price, string Category, long Stock, long Threshold)[] Products =
    [
        ("demo-tee", "Organic cotton tee", 24.90m, "apparel", 120, 10),
        ("demo-mug", "Stoneware mug", 14.50m, "kitchen", 4, 5),
        ("demo-poster", "Limited print poster", 39.00m, "prints", 0, 3),
    ];

    public static async Task SeedAsync(IServiceProvider services, CancellationToken ct)
    {
        var products = services.GetRequiredService<ProductStore>();
        var inventory = services.GetRequiredService<InventoryStore>();
        var stock = services.GetRequiredService<Inventory.Api.Features.Inventory.StockCommands>();
        var now = TimeProvider.System.UtcNowMillis();
        foreach (var p in Products)
        {
            var (_, row, created) = await products.CreateAsync(
                new Product(p.Sku, p.Name, $"Demo product: {p.Name.ToLowerInvariant()}.", p.Price, null, p.Category, now, now),
                "main", p.Threshold, Actor.DemoData, ct);
            if (created && p.Stock > 0)
            {
                await stock.SetAsync(p.Sku, row.WarehouseId, new StockChange(p.Stock, null, null), row.Version, versionFromIfMatch: false, defaultThreshold: p.Threshold, Actor.DemoData, ct);
            }

            // The sold-out poster has a reprint on its way, so the demo page can say when it is back.
            if (created && p.Stock == 0)
            {
                var expected = DateOnly.FromDateTime(now.UtcDateTime).AddDays(10);
                await services.GetRequiredService<ShipmentCommands>().CreateAsync(
                    new NewShipment($"demo-po-{p.Sku}", "DEMO-PO-1", row.WarehouseId, [new NewShipmentLine(p.Sku, 20, expected, AllowOverReceipt: false)]),
                    Actor.DemoData, ct);
            }
        }
    }
}
