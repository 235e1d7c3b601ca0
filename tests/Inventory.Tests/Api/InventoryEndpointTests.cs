using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Features;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Api;

public class InventoryEndpointTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Get_returns_totals_rows_and_an_etag_strongly_consistent_with_the_last_write()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 5);
        using var reader = service.Client(TestService.ReadKey);

        var response = await reader.GetAsync($"/inventory/{sku}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await TestService.ReadJsonAsync(response);
        Assert.Equal(20, body.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, body.GetProperty("reserved_count").GetInt64());
        Assert.Equal(20, body.GetProperty("available_count").GetInt64());
        Assert.Equal("IN_STOCK", body.GetProperty("status").GetString());
        Assert.True(body.TryGetProperty("last_updated", out _));
        var row = Assert.Single(body.GetProperty("warehouses").EnumerateArray());
        Assert.Equal("main", row.GetProperty("warehouse_id").GetString());
        Assert.Equal(5, row.GetProperty("threshold_level").GetInt64());
    }

    [Fact]
    public async Task Get_one_warehouse_returns_that_rows_etag()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        using var reader = service.Client(TestService.ReadKey);

        var response = await reader.GetAsync($"/inventory/{sku}?warehouse_id=main");

        Assert.Equal("\"2\"", response.Headers.ETag?.ToString());
        var missing = await reader.GetAsync($"/inventory/{sku}?warehouse_id=elsewhere");
        await TestService.AssertProblemAsync(missing, 404, "warehouse_not_found");
    }

    [Fact]
    public async Task Unknown_product_is_404_problem()
    {
        using var reader = service.Client(TestService.ReadKey);
        await TestService.AssertProblemAsync(await reader.GetAsync("/inventory/no-such-product"), 404, "product_not_found");
    }

    [Fact]
    public async Task Put_with_if_match_updates_recomputes_status_and_returns_the_new_etag()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 5);
        using var admin = service.Client();

        var put = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/inventory/{sku}")
        {
            Content = JsonContent.Create(new { warehouse_id = "main", stock_count = 4 }),
            Headers = { { "If-Match", "\"2\"" } },
        });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("\"3\"", put.Headers.ETag?.ToString());
        var row = await TestService.ReadJsonAsync(put);
        Assert.Equal(4, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(4, row.GetProperty("available_count").GetInt64());
        Assert.Equal("LOW_STOCK", row.GetProperty("status").GetString());

        // The listing by status follows the change stream: the row is listed as low a moment later.
        await Eventually.TrueAsync(async () =>
            (await admin.GetFromJsonAsync<PageOf>("/inventory?status=LOW_STOCK&limit=100", TestService.Json))!.Items.Any(r => r.ProductId == sku),
            "the row is listed as low");
    }

    [Fact]
    public async Task Stale_if_match_is_412_and_stale_expected_version_is_409_and_neither_changes_anything()
    {
        var sku = await service.CreateProductAsync(stock: 20);
        using var admin = service.Client();

        var viaHeader = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/inventory/{sku}")
        {
            Content = JsonContent.Create(new { stock_count = 99 }),
            Headers = { { "If-Match", "\"1\"" } },
        });
        var problem = await TestService.AssertProblemAsync(viaHeader, 412, "version_conflict");
        Assert.Equal(20, problem.GetProperty("current").GetProperty("stock_count").GetInt64());

        var viaBody = await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 99, expected_version = 1 });
        await TestService.AssertProblemAsync(viaBody, 409, "version_conflict");

        Assert.Equal(20, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
    }

    [Fact]
    public async Task Two_admins_with_the_same_etag_at_once_exactly_one_wins()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var admin = service.Client();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => admin.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/inventory/{sku}")
        {
            Content = JsonContent.Create(new { stock_count = 100 + i }),
            Headers = { { "If-Match", "\"2\"" } },
        })));

        Assert.Single(attempts, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(19, attempts.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        var winner = await TestService.ReadJsonAsync(attempts.Single(r => r.StatusCode == HttpStatusCode.OK));
        var stored = await service.GetInventoryAsync(sku);
        Assert.Equal(winner.GetProperty("stock_count").GetInt64(), stored.GetProperty("stock_count").GetInt64());
        Assert.Equal(3, stored.GetProperty("warehouses")[0].GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Setting_stock_keeps_concurrent_holds_and_refuses_to_go_below_them()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "r1" })).EnsureSuccessStatusCode();

        // Holds do not bump the version, so the admin's ETag from before the hold is still good.
        var tooLow = await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 5, expected_version = 2 });
        await TestService.AssertProblemAsync(tooLow, 409, "stock_below_reserved");

        var ok = await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 8, expected_version = 2 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var row = await TestService.ReadJsonAsync(ok);
        Assert.Equal(6, row.GetProperty("reserved_count").GetInt64());
        Assert.Equal(2, row.GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Put_without_a_version_creates_a_new_warehouse_row_but_never_overwrites_one()
    {
        var sku = await service.CreateProductAsync(stock: 1);
        using var admin = service.Client();

        var created = await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 7, threshold_level = 2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var overwrite = await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 0 });
        await TestService.AssertProblemAsync(overwrite, 428, "precondition_required");

        var unknown = await admin.PutAsJsonAsync("/inventory/nobody-made-this", new { warehouse_id = "east", stock_count = 7 });
        await TestService.AssertProblemAsync(unknown, 404, "product_not_found");

        var updateUnknown = await admin.PutAsJsonAsync("/inventory/nobody-made-this", new { stock_count = 7, expected_version = 1 });
        await TestService.AssertProblemAsync(updateUnknown, 404, "product_not_found");

        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(8, inventory.GetProperty("stock_count").GetInt64());
        Assert.Equal(2, inventory.GetProperty("warehouses").GetArrayLength());
    }

    /// <summary>The product's row in a warehouse as stored, every attribute, strongly consistent.</summary>
    private async Task<Dictionary<string, AttributeValue>> StoredRowAsync(string sku, string warehouseId) =>
        (await service.Dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = service.Get<IOptions<StorageOptions>>().Value.InventoryTable,
            Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = warehouseId } },
            ConsistentRead = true,
        })).Item;

    [Fact]
    public async Task A_new_warehouse_row_without_a_threshold_starts_at_the_products_threshold_and_category()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 7, category: "garden");
        using var admin = service.Client();

        var created = await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 5 });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var row = await TestService.ReadJsonAsync(created);
        Assert.Equal(7, row.GetProperty("threshold_level").GetInt64());
        Assert.Equal("LOW_STOCK", row.GetProperty("status").GetString());
        Assert.Equal("garden", row.GetProperty("category").GetString()); // so it is in the category listing
        var stored = await Eventually.ValueAsync(() => StoredRowAsync(sku, "east"), r => r["status"].S == "LOW_STOCK", "east stores LOW_STOCK");
        Assert.Equal("7", stored["threshold_level"].N);
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task A_new_warehouse_row_of_a_product_without_a_stored_threshold_starts_at_the_configured_default()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 7);
        // As a product created before products kept their threshold.
        await service.Dynamo.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = service.Get<IOptions<StorageOptions>>().Value.ProductsTable,
            Key = new() { ["sku"] = new() { S = sku } },
            UpdateExpression = "REMOVE threshold_level",
        });
        var configured = service.Get<IOptions<InventoryOptions>>().Value.DefaultThresholdLevel;
        using var admin = service.Client();

        var created = await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = configured });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var row = await TestService.ReadJsonAsync(created);
        Assert.Equal(configured, row.GetProperty("threshold_level").GetInt64());
        Assert.Equal("LOW_STOCK", row.GetProperty("status").GetString());
        await service.AssertInvariantsAsync(sku);
    }

    [Theory]
    [InlineData("{\"stock_count\": -1, \"expected_version\": 2}")]
    [InlineData("{\"stock_count\": 1.5, \"expected_version\": 2}")]
    [InlineData("{\"stock_count\": \"12\", \"expected_version\": 2}")]
    [InlineData("{\"stock_count\": 100000000000000000000, \"expected_version\": 2}")]
    [InlineData("{\"stock_count\": 9007199254740993, \"expected_version\": 2}")]
    [InlineData("{\"threshold_level\": -5, \"expected_version\": 2}")]
    [InlineData("{\"expected_version\": 2}")]
    [InlineData("{\"stock_count\": 5, \"expected_version\": 2, \"stok\": 1}")]
    [InlineData("{\"stock_count\": 5, \"expected_version\": 0}")]
    [InlineData("{\"stock_count\": 5,")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("")]
    public async Task Invalid_admin_writes_are_400_problems_and_change_nothing(string json)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var admin = service.Client();

        var response = await admin.PutAsync($"/inventory/{sku}", TestService.RawJson(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var after = await service.GetInventoryAsync(sku);
        Assert.Equal(10, after.GetProperty("stock_count").GetInt64());
        Assert.Equal(2, after.GetProperty("warehouses")[0].GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task An_if_match_that_is_not_ours_is_a_400()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var admin = service.Client();
        var response = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/inventory/{sku}")
        {
            Content = JsonContent.Create(new { stock_count = 1 }),
            Headers = { { "If-Match", "\"not-a-version\"" } },
        });
        await TestService.AssertProblemAsync(response, 400, "validation_failed");
    }

    [Fact]
    public async Task Listing_by_category_pages_through_every_row_once()
    {
        var category = "cat-" + Guid.NewGuid().ToString("N")[..8];
        var skus = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            skus.Add(await service.CreateProductAsync(stock: i, category: category));
        }

        using var admin = service.Client();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"/inventory?category={category}&limit=2" + (token is null ? "" : $"&next_token={token}");
            var page = await admin.GetFromJsonAsync<PageOf>(url, TestService.Json);
            seen.AddRange(page!.Items.Select(r => r.ProductId));
            token = page.NextToken;
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(skus.Order(), seen.Order());
        Assert.True(pages >= 3);
    }

    [Theory]
    [InlineData("/inventory?status=SOLD_OUT")]
    [InlineData("/inventory?limit=0")]
    [InlineData("/inventory?limit=abc")]
    [InlineData("/inventory?next_token=garbage!")]
    [InlineData("/inventory?next_token=eyJmb28iOiJiYXIifQ")]
    [InlineData("/inventory?category=a&status=LOW_STOCK")]
    [InlineData("/inventory?status=0")]
    [InlineData("/inventory?status=IN_STOCK,LOW_STOCK")]
    [InlineData("/inventory?status=in_stock")]
    [InlineData("/inventory?limit=5%00")]
    [InlineData("/inventory?limit=%205")]
    [InlineData("/inventory?category=")]
    public async Task Bad_listing_parameters_are_400(string url)
    {
        using var admin = service.Client();
        var response = await admin.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Check_answers_availability_for_many_items_at_once()
    {
        var plenty = await service.CreateProductAsync(stock: 10);
        var few = await service.CreateProductAsync(stock: 1);
        using var reader = service.Client(TestService.ReadKey);

        var ok = await reader.PostAsJsonAsync("/inventory/check", new { items = new[] { new { sku = plenty, quantity = 10 }, new { sku = few, quantity = 1 } } });
        var okBody = await TestService.ReadJsonAsync(ok);
        Assert.Equal("AVAILABLE", okBody.GetProperty("status").GetString());

        var short_ = await reader.PostAsJsonAsync("/inventory/check", new { items = new[] { new { sku = plenty, quantity = 1 }, new { sku = few, quantity = 2 }, new { sku = "ghost", quantity = 1 } } });
        var body = await TestService.ReadJsonAsync(short_);
        Assert.Equal("UNAVAILABLE", body.GetProperty("status").GetString());
        var items = body.GetProperty("items").EnumerateArray().ToList();
        Assert.True(items[0].GetProperty("available").GetBoolean());
        Assert.False(items[1].GetProperty("available").GetBoolean());
        Assert.Equal(1, items[1].GetProperty("available_count").GetInt64());
        Assert.False(items[2].GetProperty("found").GetBoolean());

        var empty = await reader.PostAsJsonAsync("/inventory/check", new { items = Array.Empty<object>() });
        await TestService.AssertProblemAsync(empty, 400, "validation_failed");
    }

    public sealed record RowOf(string ProductId, string WarehouseId);

    public sealed record PageOf(List<RowOf> Items, string? NextToken);
}

/// <summary>What a check costs in DynamoDB requests, counted by the fault-injecting client.</summary>
public class CheckCostTests(FaultyService service) : IClassFixture<FaultyService>
{
    [Fact]
    public async Task A_hundred_lines_of_one_item_cost_the_reads_of_one_line_and_each_line_is_answered_in_order()
    {
        var sku = await service.CreateProductAsync(stock: 7);
        var other = await service.CreateProductAsync(stock: 1);
        using var reader = service.Client(TestService.ReadKey);
        var stock = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable;
        service.Faults.TakeRequestsFor(sku);

        (await reader.PostAsJsonAsync("/inventory/check", new { items = new[] { new { sku, quantity = 1L } } })).EnsureSuccessStatusCode();
        var once = service.Faults.TakeRequestsFor(sku, stock);
        var lines = Enumerable.Range(1, 100).Select(i => i == 50 ? new { sku = other, quantity = 1L } : new { sku, quantity = (long)(i % 10) + 1 }).ToList();
        var answer = await reader.PostAsJsonAsync("/inventory/check", new { items = lines });
        var hundred = service.Faults.TakeRequestsFor(sku, stock);

        Assert.Equal(["Query"], once);
        Assert.Equal(once, hundred);
        var items = (await TestService.ReadJsonAsync(answer)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(lines.Select(l => (l.sku, l.quantity)), items.Select(i => (i.GetProperty("sku").GetString()!, i.GetProperty("quantity").GetInt64())));
        Assert.Equal(lines.Select(l => l.sku == other || l.quantity <= 7), items.Select(i => i.GetProperty("available").GetBoolean()));
        Assert.All(items, i => Assert.Equal(i.GetProperty("sku").GetString() == other ? 1 : 7, i.GetProperty("available_count").GetInt64()));
    }

    [Fact]
    public async Task More_lines_than_the_maximum_are_a_400_that_names_it_and_cost_no_read()
    {
        var sku = await service.CreateProductAsync(stock: 7);
        using var reader = service.Client(TestService.ReadKey);
        service.Faults.TakeRequestsFor(sku);

        var response = await reader.PostAsJsonAsync("/inventory/check", new { items = Enumerable.Repeat(new { sku, quantity = 1L }, 101) });

        var problem = await TestService.AssertProblemAsync(response, 400, "validation_failed");
        Assert.Equal("must hold 1 to 100 items.", problem.GetProperty("errors").GetProperty("items")[0].GetString());
        var stock = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.InventoryTable;
        Assert.Empty(service.Faults.TakeRequestsFor(sku, stock));
    }
}
