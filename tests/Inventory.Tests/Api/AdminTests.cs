using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Api;

public class AdminTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task The_drift_report_is_clean_after_normal_use_and_names_a_row_someone_corrupted()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var admin = service.Client();
        (await admin.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "r" })).EnsureSuccessStatusCode();

        var clean = await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/invariants?product_id={sku}"));
        Assert.True(clean.GetProperty("holds").GetBoolean());
        Assert.Equal(1, clean.GetProperty("active_reservations").GetInt32());

        // Someone edits the table by hand: reserved_count no longer matches the holds, available no longer adds up.
        await service.Dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = service.Get<IOptions<StorageOptions>>().Value.InventoryTable,
            Key = new Dictionary<string, AttributeValue> { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
            UpdateExpression = "SET reserved_count = :r",
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":r"] = new() { N = "5" } },
        });

        var drift = await TestService.ReadJsonAsync(await admin.GetAsync($"/admin/invariants?product_id={sku}"));
        Assert.False(drift.GetProperty("holds").GetBoolean());
        var rules = drift.GetProperty("violations").EnumerateArray().Select(v => v.GetProperty("rule").GetString()).ToList();
        Assert.Contains("available_is_stock_minus_reserved", rules);
        Assert.Contains("reserved_matches_active_holds", rules);

        var all = await TestService.ReadJsonAsync(await admin.GetAsync("/admin/invariants"));
        Assert.Contains(all.GetProperty("violations").EnumerateArray(), v => v.GetProperty("product_id").GetString() == sku);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var admin = service.Client();
        var response = await admin.PostAsync($"/inventory/{sku}/reserve", new StringContent("quantity=1", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
    }
}
