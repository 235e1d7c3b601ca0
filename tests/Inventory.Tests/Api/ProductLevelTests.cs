using System.Net;
using System.Net.Http.Json;
using Inventory.Api.Domain;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// A product's answers across warehouses come from one definition: the lead warehouse (the one a hold would take
/// from) decides its available units, threshold and status, so the product never shows a status none of its rows has
/// or a number no single hold can get.
/// </summary>
public class ProductLevelTests(TestService service) : IClassFixture<TestService>
{
    private async Task AddWarehouseAsync(string sku, string warehouse, long stock, long threshold)
    {
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = warehouse, stock_count = stock, threshold_level = threshold })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task An_in_stock_warehouse_beside_an_empty_one_makes_the_product_in_stock_with_that_rows_alert_behind_it()
    {
        var sku = await service.CreateProductAsync(stock: 15, threshold: 10);
        await AddWarehouseAsync(sku, "east", stock: 0, threshold: 10);
        using var api = service.Api();

        var product = await api.InventoryAsync(sku);

        Assert.Equal(StockStatus.IN_STOCK, product.Status); // summed thresholds (20) said LOW_STOCK
        Assert.Equal(15, product.AvailableCount);
        Assert.Equal(10, product.ThresholdLevel);
        Assert.Equal("main", product.LeadWarehouseId);
        var alerts = await Eventually.ValueAsync(() => api.AlertsAsync(sku), a => a.Count >= 1, "the stocking alert");
        Assert.Contains(alerts, a => a.WarehouseId == "main" && a.NewStatus == StockStatus.IN_STOCK);
    }

    [Fact]
    public async Task Three_and_three_in_two_warehouses_is_three_that_one_order_can_get_and_six_in_total()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        await AddWarehouseAsync(sku, "east", stock: 3, threshold: 5);
        using var reader = service.Client(TestService.ReadKey);
        using var platform = service.Api(TestService.ReserveKey);

        var inventory = await platform.InventoryAsync(sku);
        var listed = await TestService.ReadJsonAsync(await reader.GetAsync($"/products/{sku}"));
        var six = await platform.HoldAsync(sku, 6, "six", warehouseId: null);
        var three = await platform.HoldAsync(sku, 3, "three", warehouseId: null);

        Assert.Equal(3, inventory.AvailableCount);
        Assert.Equal(6, inventory.TotalAvailableCount);
        Assert.Equal(StockStatus.LOW_STOCK, inventory.Status);
        Assert.Equal(3, listed.GetProperty("quantity").GetInt64()); // it said 6, and a hold of 6 was refused
        Assert.Equal(HttpStatusCode.Conflict, six.Status);
        Assert.Equal("insufficient_stock", six.Code);
        Assert.Equal(3, six.Extension("available_count").GetInt64());
        Assert.Equal(HttpStatusCode.Created, three.Status);
    }
}
