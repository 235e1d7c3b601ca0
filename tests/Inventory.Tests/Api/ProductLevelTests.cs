using System.Net;
using System.Net.Http.Json;
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

        var product = await service.GetInventoryAsync(sku);

        Assert.Equal("IN_STOCK", product.GetProperty("status").GetString()); // summed thresholds (20) said LOW_STOCK
        Assert.Equal(15, product.GetProperty("available_count").GetInt64());
        Assert.Equal(10, product.GetProperty("threshold_level").GetInt64());
        Assert.Equal("main", product.GetProperty("lead_warehouse_id").GetString());
        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 1, "the stocking alert");
        Assert.Contains(alerts, a => a.GetProperty("warehouse_id").GetString() == "main" && a.GetProperty("new_status").GetString() == "IN_STOCK");
    }

    [Fact]
    public async Task Three_and_three_in_two_warehouses_is_three_that_one_order_can_get_and_six_in_total()
    {
        var sku = await service.CreateProductAsync(stock: 3, threshold: 5);
        await AddWarehouseAsync(sku, "east", stock: 3, threshold: 5);
        using var reader = service.Client(TestService.ReadKey);
        using var platform = service.Client(TestService.ReserveKey);

        var inventory = await service.GetInventoryAsync(sku);
        var listed = await TestService.ReadJsonAsync(await reader.GetAsync($"/products/{sku}"));
        var six = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "six" });
        var three = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "three" });

        Assert.Equal(3, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal(6, inventory.GetProperty("total_available_count").GetInt64());
        Assert.Equal("LOW_STOCK", inventory.GetProperty("status").GetString());
        Assert.Equal(3, listed.GetProperty("quantity").GetInt64()); // it said 6, and a hold of 6 was refused
        Assert.Equal(3, (await TestService.AssertProblemAsync(six, 409, "insufficient_stock")).GetProperty("available_count").GetInt64());
        Assert.Equal(HttpStatusCode.Created, three.StatusCode);
    }
}
