using System.Net;
using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

public class ReservationEndpointTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Admins_list_a_products_reservations_by_status_page_by_page()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var other = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        foreach (var id in new[] { "a", "b", "c" })
        {
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id })).EnsureSuccessStatusCode();
        }

        (await platform.PostAsJsonAsync($"/inventory/{other}/reserve", new { quantity = 1, reservation_id = "x" })).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/b")).EnsureSuccessStatusCode();
        using var admin = service.Client();

        var all = await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{sku}/reservations"));
        Assert.Equal(["a:ACTIVE", "b:RELEASED", "c:ACTIVE"], all.GetProperty("items").EnumerateArray()
            .Select(r => $"{r.GetProperty("reservation_id").GetString()}:{r.GetProperty("status").GetString()}"));
        var active = await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{sku}/reservations?status=ACTIVE"));
        Assert.Equal(["a", "c"], active.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("reservation_id").GetString()));

        var seen = new List<string?>();
        string? token = null;
        do
        {
            var page = await TestService.ReadJsonAsync(await admin.GetAsync(
                $"/inventory/{sku}/reservations?limit=1" + (token is null ? "" : "&next_token=" + Uri.EscapeDataString(token))));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("reservation_id").GetString()));
            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);
        Assert.Equal(["a", "b", "c"], seen);

        // Another product's token, a bad status or a reserve-scoped key are refused.
        var first = await TestService.ReadJsonAsync(await admin.GetAsync($"/inventory/{other}/reservations?limit=1"));
        var foreign = first.GetProperty("next_token").GetString()!;
        await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{sku}/reservations?next_token={Uri.EscapeDataString(foreign)}"), 400, "invalid_token");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/inventory/{sku}/reservations?status=GONE"), 400, "validation_failed");
        await TestService.AssertProblemAsync(await platform.GetAsync($"/inventory/{sku}/reservations"), 403, "forbidden");
    }

    [Fact]
    public async Task Reserve_holds_units_and_answers_201_with_the_reservation()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 3);
        using var platform = service.Client(TestService.ReserveKey);
        var before = DateTimeOffset.UtcNow;

        var response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 8, reservation_id = "cart-1", ttl_seconds = 600 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await TestService.ReadJsonAsync(response);
        Assert.Equal("cart-1", body.GetProperty("reservation_id").GetString());
        Assert.Equal(8, body.GetProperty("quantity").GetInt64());
        Assert.Equal("main", body.GetProperty("warehouse_id").GetString());
        Assert.Equal("ACTIVE", body.GetProperty("status").GetString());
        var expires = body.GetProperty("expires_at").GetDateTimeOffset();
        Assert.InRange(expires, before.AddSeconds(595), DateTimeOffset.UtcNow.AddSeconds(605));

        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(10, inventory.GetProperty("stock_count").GetInt64());
        Assert.Equal(8, inventory.GetProperty("reserved_count").GetInt64());
        Assert.Equal(2, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal("LOW_STOCK", inventory.GetProperty("status").GetString());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Insufficient_stock_is_409_with_the_available_quantity_and_holds_nothing()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        using var platform = service.Client(TestService.ReserveKey);

        var response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "greedy" });
        var problem = await TestService.AssertProblemAsync(response, 409, "insufficient_stock");
        Assert.Equal(3, problem.GetProperty("available_count").GetInt64());

        var explicitWarehouse = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "greedy", warehouse_id = "main" });
        problem = await TestService.AssertProblemAsync(explicitWarehouse, 409, "insufficient_stock");
        Assert.Equal(3, problem.GetProperty("available_count").GetInt64());

        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await TestService.AssertProblemAsync(await platform.GetAsync($"/inventory/{sku}/reserve/greedy"), 404, "reservation_not_found");
    }

    [Fact]
    public async Task Replaying_a_reservation_returns_it_again_and_never_holds_twice()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        var request = new { quantity = 2, reservation_id = "retry-me" };

        var first = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", request);
        var replays = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => platform.PostAsJsonAsync($"/inventory/{sku}/reserve", request)));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var original = await TestService.ReadJsonAsync(first);
        foreach (var replay in replays)
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
            var body = await TestService.ReadJsonAsync(replay);
            Assert.Equal(original.GetProperty("expires_at").GetString(), body.GetProperty("expires_at").GetString());
        }

        Assert.Equal(2, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task The_same_reservation_id_with_another_payload_is_a_conflict()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "same-id" })).EnsureSuccessStatusCode();

        var other = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "same-id" });

        await TestService.AssertProblemAsync(other, 409, "idempotency_conflict");
        Assert.Equal(2, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
    }

    [Fact]
    public async Task Reserving_an_unknown_product_or_warehouse_is_404()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);

        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync("/inventory/ghost/reserve", new { quantity = 1, reservation_id = "r" }), 404, "product_not_found");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync("/inventory/ghost/reserve", new { quantity = 1, reservation_id = "r", warehouse_id = "main" }), 404, "product_not_found");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "r", warehouse_id = "mars" }), 404, "warehouse_not_found");
    }

    [Fact]
    public async Task Release_returns_the_units_is_safe_to_repeat_and_404s_for_unknown_ids()
    {
        var sku = await service.CreateProductAsync(stock: 5, threshold: 2);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 5, reservation_id = "cart-9" })).EnsureSuccessStatusCode();
        Assert.Equal("OUT_OF_STOCK", (await service.GetInventoryAsync(sku)).GetProperty("status").GetString());

        var release = await platform.DeleteAsync($"/inventory/{sku}/reserve/cart-9");
        var again = await platform.DeleteAsync($"/inventory/{sku}/reserve/cart-9");

        Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(5, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal("IN_STOCK", inventory.GetProperty("status").GetString());
        var reservation = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/cart-9"));
        Assert.Equal("RELEASED", reservation.GetProperty("status").GetString());
        await TestService.AssertProblemAsync(await platform.DeleteAsync($"/inventory/{sku}/reserve/never-made"), 404, "reservation_not_found");
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Concurrent_releases_of_one_reservation_return_its_units_once()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "double-tap" })).EnsureSuccessStatusCode();

        var releases = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => platform.DeleteAsync($"/inventory/{sku}/reserve/double-tap")));

        Assert.All(releases, r => Assert.Equal(HttpStatusCode.NoContent, r.StatusCode));
        Assert.Equal(5, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Without_a_warehouse_the_one_with_most_available_is_chosen()
    {
        var sku = await service.CreateProductAsync(stock: 2);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 9 })).EnsureSuccessStatusCode();
        using var platform = service.Client(TestService.ReserveKey);

        var first = await TestService.ReadJsonAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "a" }));
        var second = await TestService.ReadJsonAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "b" }));
        var tooMuch = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "c" });

        Assert.Equal("east", first.GetProperty("warehouse_id").GetString());
        Assert.Equal("east", second.GetProperty("warehouse_id").GetString());
        // 2 left in main and 0 in east: 3 units exist in total, but a hold never spans warehouses.
        var problem = await TestService.AssertProblemAsync(tooMuch, 409, "insufficient_stock");
        Assert.Equal(2, problem.GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task An_order_reservation_holds_every_item_or_none()
    {
        var a = await service.CreateProductAsync(stock: 5);
        var b = await service.CreateProductAsync(stock: 1);
        using var platform = service.Client(TestService.ReserveKey);

        var refused = await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "order-1",
            items = new[] { new { product_id = a, quantity = 2 }, new { product_id = b, quantity = 2 } },
        });
        var problem = await TestService.AssertProblemAsync(refused, 409, "insufficient_stock");
        Assert.Equal(1, problem.GetProperty("available_count").GetInt64());
        Assert.Equal(0, (await service.GetInventoryAsync(a)).GetProperty("reserved_count").GetInt64());

        var accepted = await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "order-2",
            items = new[] { new { product_id = a, quantity = 2 }, new { product_id = b, quantity = 1 } },
        });
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        var body = await TestService.ReadJsonAsync(accepted);
        Assert.Equal(2, body.GetProperty("items").GetArrayLength());
        Assert.Equal(2, (await service.GetInventoryAsync(a)).GetProperty("reserved_count").GetInt64());
        Assert.Equal("OUT_OF_STOCK", (await service.GetInventoryAsync(b)).GetProperty("status").GetString());

        var replay = await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "order-2",
            items = new[] { new { product_id = a, quantity = 2 }, new { product_id = b, quantity = 1 } },
        });
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(2, (await service.GetInventoryAsync(a)).GetProperty("reserved_count").GetInt64());

        // Each line is released on its own, by product and the shared reservation id.
        Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{b}/reserve/order-2")).StatusCode);
        await service.AssertInvariantsAsync(a, b);
    }

    [Fact]
    public async Task An_order_with_more_items_than_one_transaction_holds_is_refused_clearly()
    {
        using var platform = service.Client(TestService.ReserveKey);
        var items = Enumerable.Range(0, 51).Select(i => new { product_id = $"bulk-{i}", quantity = 1 }).ToArray();

        var response = await platform.PostAsJsonAsync("/reservations", new { reservation_id = "too-big", items });

        var problem = await TestService.AssertProblemAsync(response, 400, "too_many_items");
        Assert.Equal(102, problem.GetProperty("actions").GetInt32());
        Assert.Equal(100, problem.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task An_order_naming_a_product_twice_is_refused()
    {
        var a = await service.CreateProductAsync(stock: 5);
        using var platform = service.Client(TestService.ReserveKey);
        var response = await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "dupe",
            items = new[] { new { product_id = a, quantity = 1 }, new { product_id = a, quantity = 1 } },
        });
        await TestService.AssertProblemAsync(response, 400, "validation_failed");
        Assert.Equal(0, (await service.GetInventoryAsync(a)).GetProperty("reserved_count").GetInt64());
    }

    [Theory]
    [InlineData("{\"quantity\": 0, \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": -1, \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": 1.5, \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": 1e3, \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": \"1\", \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": 9007199254740993, \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": 123456789012345678901234567890, \"reservation_id\": \"r\"}")]
    [InlineData("{\"quantity\": 1}")]
    [InlineData("{\"quantity\": 1, \"reservation_id\": \"\"}")]
    [InlineData("{\"quantity\": 1, \"reservation_id\": 42}")]
    [InlineData("{\"quantity\": 1, \"reservation_id\": \"r\", \"ttl_seconds\": 0}")]
    [InlineData("{\"quantity\": 1, \"reservation_id\": \"r\", \"ttl_seconds\": 99999999}")]
    [InlineData("{\"quantity\": 1, \"reservation_id\": \"r\", \"extra\": true}")]
    [InlineData("{\"quantity\": 1, \"reservation_id\": \"r\"")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task Bad_reservation_requests_are_4xx_problems_and_change_nothing(string json)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);

        var response = await platform.PostAsync($"/inventory/{sku}/reserve", TestService.RawJson(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
    }

    [Fact]
    public async Task Ids_of_2000_characters_are_refused_in_bodies_and_paths()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        var longId = new string('r', 2000);

        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = longId }), 400, "validation_failed");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{longId}/reserve", new { quantity = 1, reservation_id = "r" }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await platform.DeleteAsync($"/inventory/{sku}/reserve/{longId}"), 400, "validation_failed");
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
    }
}
