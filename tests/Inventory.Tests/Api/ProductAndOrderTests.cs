using System.Net;
using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

public class ProductTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Creating_a_product_creates_its_zero_stock_row_and_is_idempotent()
    {
        using var admin = service.Client();
        var product = new { sku = "tee-" + Guid.NewGuid().ToString("N")[..6], name = "Tee", description = "Soft", price = 19.99m, image_url = "https://img.example/tee.png", category = "apparel" };

        var created = await admin.PostAsJsonAsync("/products", product);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await TestService.ReadJsonAsync(created);
        Assert.Equal(0, body.GetProperty("quantity").GetInt64());
        Assert.Equal("OUT_OF_STOCK", body.GetProperty("inventory").GetProperty("status").GetString());

        var again = await admin.PostAsJsonAsync("/products", product);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var different = await admin.PostAsJsonAsync("/products", product with { price = 5m });
        await TestService.AssertProblemAsync(different, 409, "product_exists");

        using var reader = service.Client(TestService.ReadKey);
        var fetched = await TestService.ReadJsonAsync(await reader.GetAsync($"/products/{product.sku}"));
        Assert.Equal(19.99m, fetched.GetProperty("price").GetDecimal());
        Assert.Equal("apparel", fetched.GetProperty("category").GetString());
        Assert.Equal(1, fetched.GetProperty("inventory").GetProperty("warehouses").GetArrayLength());
        await TestService.AssertProblemAsync(await reader.GetAsync("/products/nope"), 404, "product_not_found");
    }

    [Theory]
    [InlineData("{\"sku\": \"a\", \"price\": 1}")]
    [InlineData("{\"sku\": \"a\", \"name\": \"A\", \"price\": -1}")]
    [InlineData("{\"sku\": \"a\", \"name\": \"A\", \"price\": \"cheap\"}")]
    [InlineData("{\"sku\": \"a b\", \"name\": \"A\", \"price\": 1}")]
    [InlineData("{\"sku\": \"a\", \"name\": \"A\", \"price\": 1, \"image_url\": \"javascript:alert(1)\"}")]
    [InlineData("{\"sku\": \"a\", \"name\": \"A\", \"price\": 1, \"colour\": \"red\"}")]
    public async Task Invalid_products_are_400_and_not_created(string json)
    {
        using var admin = service.Client();
        var response = await admin.PostAsync("/products", TestService.RawJson(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var reader = service.Client(TestService.ReadKey);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/products/a")).StatusCode);
    }

    [Fact]
    public async Task Listing_products_pages_with_next_token()
    {
        for (var i = 0; i < 5; i++)
        {
            await service.CreateProductAsync(stock: 1);
        }

        using var reader = service.Client(TestService.ReadKey);
        var seen = new HashSet<string>();
        string? token = null;
        do
        {
            var page = await TestService.ReadJsonAsync(await reader.GetAsync("/products?limit=2" + (token is null ? "" : "&next_token=" + token)));
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                Assert.True(seen.Add(item.GetProperty("sku").GetString()!), "a product appeared on two pages");
            }

            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);

        Assert.True(seen.Count >= 5);
        Assert.Equal(HttpStatusCode.BadRequest, (await reader.GetAsync("/products?limit=1000")).StatusCode);
    }
}

public class FulfilmentTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Fulfilling_a_reservation_turns_the_hold_into_a_sale_once()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "cart" })).EnsureSuccessStatusCode();
        var order = new { lines = new[] { new { product_id = sku, reservation_id = "cart" } } };

        var first = await platform.PostAsJsonAsync("/orders/o-1/fulfil", order);
        var replay = await platform.PostAsJsonAsync("/orders/o-1/fulfil", order);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        var line = (await TestService.ReadJsonAsync(first)).GetProperty("lines")[0];
        Assert.Equal(4, line.GetProperty("quantity").GetInt64());
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(6, inventory.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, inventory.GetProperty("reserved_count").GetInt64());
        Assert.Equal(6, inventory.GetProperty("available_count").GetInt64());

        // The hold is spent: it cannot be released or sold again under another order.
        await TestService.AssertProblemAsync(await platform.DeleteAsync($"/inventory/{sku}/reserve/cart"), 409, "reservation_not_active");
        await TestService.AssertProblemAsync(await platform.PostAsJsonAsync("/orders/o-2/fulfil", order), 409, "reservation_not_active");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync("/orders/o-1/fulfil", new { lines = new[] { new { product_id = sku, quantity = 1 } } }), 409, "idempotency_conflict");
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task A_multi_line_order_is_all_or_nothing()
    {
        var a = await service.CreateProductAsync(stock: 5);
        var b = await service.CreateProductAsync(stock: 1);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{a}/reserve", new { quantity = 2, reservation_id = "ra" })).EnsureSuccessStatusCode();

        var refused = await platform.PostAsJsonAsync("/orders/big/fulfil", new
        {
            lines = new object[] { new { product_id = a, reservation_id = "ra" }, new { product_id = b, quantity = 2 } },
        });
        await TestService.AssertProblemAsync(refused, 409, "insufficient_stock");
        Assert.Equal(5, (await service.GetInventoryAsync(a)).GetProperty("stock_count").GetInt64());
        Assert.Equal(2, (await service.GetInventoryAsync(a)).GetProperty("reserved_count").GetInt64());

        var accepted = await platform.PostAsJsonAsync("/orders/big-2/fulfil", new
        {
            lines = new object[] { new { product_id = a, reservation_id = "ra" }, new { product_id = a, quantity = 1 }, new { product_id = b, quantity = 1 } },
        });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var inventoryA = await service.GetInventoryAsync(a);
        Assert.Equal(2, inventoryA.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, inventoryA.GetProperty("reserved_count").GetInt64());
        Assert.Equal("OUT_OF_STOCK", (await service.GetInventoryAsync(b)).GetProperty("status").GetString());
        await service.AssertInvariantsAsync(a, b);
    }

    [Fact]
    public async Task Direct_sales_never_oversell_under_parallel_orders()
    {
        var sku = await service.CreateProductAsync(stock: 20);
        using var platform = service.Client(TestService.ReserveKey);

        var orders = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            platform.PostAsJsonAsync($"/orders/flash-{i}/fulfil", new { lines = new[] { new { product_id = sku, quantity = 1 } } })));

        Assert.Equal(20, orders.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(180, orders.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Theory]
    [InlineData("{\"lines\": []}")]
    [InlineData("{\"lines\": [{\"product_id\": \"x\"}]}")]
    [InlineData("{\"lines\": [{\"product_id\": \"x\", \"quantity\": 0}]}")]
    [InlineData("{\"lines\": [{\"product_id\": \"x\", \"reservation_id\": \"r\", \"warehouse_id\": \"main\"}]}")]
    [InlineData("{\"lines\": [null]}")]
    [InlineData("{\"line\": []}")]
    public async Task Invalid_orders_are_400(string json)
    {
        using var platform = service.Client(TestService.ReserveKey);
        var response = await platform.PostAsync("/orders/bad/fulfil", TestService.RawJson(json));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Fulfilling_an_unknown_reservation_is_404()
    {
        var sku = await service.CreateProductAsync(stock: 1);
        using var platform = service.Client(TestService.ReserveKey);
        var response = await platform.PostAsJsonAsync("/orders/ghost/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "nope" } } });
        await TestService.AssertProblemAsync(response, 404, "reservation_not_found");
    }
}

public class AdjustmentTests(TestService service) : IClassFixture<TestService>
{
    private static HttpRequestMessage Adjust(string sku, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(body) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return request;
    }

    [Fact]
    public async Task A_received_shipment_is_added_once_however_often_it_is_replayed()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var admin = service.Client();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => admin.SendAsync(Adjust(sku, new { delta = 50, reason = "PO-1001 received" }, "po-1001"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(9, responses.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(60, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());

        var reused = await admin.SendAsync(Adjust(sku, new { delta = 5, reason = "other" }, "po-1001"));
        await TestService.AssertProblemAsync(reused, 409, "idempotency_conflict");
        Assert.Equal(60, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
    }

    [Fact]
    public async Task A_write_off_cannot_take_units_that_are_held_or_absent()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "held" })).EnsureSuccessStatusCode();

        var tooMuch = await admin.SendAsync(Adjust(sku, new { delta = -3, reason = "damaged" }, "dmg-1"));
        var problem = await TestService.AssertProblemAsync(tooMuch, 409, "insufficient_stock");
        Assert.Equal(2, problem.GetProperty("available_count").GetInt64());

        var ok = await admin.SendAsync(Adjust(sku, new { delta = -2, reason = "damaged" }, "dmg-2"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(3, inventory.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, inventory.GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);

        await TestService.AssertProblemAsync(
            await admin.SendAsync(Adjust("ghost", new { delta = 1, reason = "x" }, "k")), 404, "product_not_found");
    }

    [Theory]
    [InlineData(0, "reason", "k")]
    [InlineData(5, "", "k")]
    [InlineData(5, "reason", null)]
    [InlineData(5, "reason", "")]
    public async Task Bad_adjustments_are_400_and_change_nothing(long delta, string reason, string? key)
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var admin = service.Client();
        var response = await admin.SendAsync(Adjust(sku, new { delta, reason }, key));
        await TestService.AssertProblemAsync(response, 400, "validation_failed");
        Assert.Equal(5, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
    }
}
