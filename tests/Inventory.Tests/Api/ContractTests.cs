using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// Every operation of the served OpenAPI document, driven once through the checking client (success and refusal
/// answers alike are checked against the document as they arrive), and the refusals of multi-item requests.
/// </summary>
public class ContractTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Every_operation_of_the_document_answers_as_the_document_says()
    {
        using var admin = service.Client();
        using var platform = service.Client(TestService.ReserveKey);
        using var anonymous = service.Client(apiKey: null);

        await anonymous.GetAsync("/health");
        await anonymous.GetAsync("/health/live");

        var sku = "contract-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/products", new { sku, name = "Contract tee", price = 12.5m, category = "tees" })).StatusCode);
        await admin.GetAsync("/products?limit=5");
        await admin.GetAsync($"/products/{sku}");
        await admin.GetAsync("/products/no-such-product");
        await TestService.AssertProblemAsync(await anonymous.GetAsync($"/products/{sku}"), 401, "unauthorized");

        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "north", stock_count = 10, threshold_level = 2 })).StatusCode);
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 11 }), 428, "precondition_required");
        await admin.GetAsync($"/inventory/{sku}");
        using (var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = 5, reason = "delivery" }) })
        {
            adjust.Headers.Add("Idempotency-Key", "contract-adjust-1");
            Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(adjust)).StatusCode);
        }

        await admin.GetAsync("/inventory?category=tees");
        await admin.PostAsJsonAsync("/inventory/check", new { items = new[] { new { sku, quantity = 2 } } });

        Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "cart-1" })).StatusCode);
        await TestService.AssertProblemAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 100, reservation_id = "cart-2" }), 409, "insufficient_stock");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReadKey).PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "cart-3" }), 403, "forbidden");
        await platform.GetAsync($"/inventory/{sku}/reserve/cart-1");
        await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/cart-1/extend", new { ttl_seconds = 600 });
        Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/cart-1")).StatusCode);
        await admin.GetAsync($"/inventory/{sku}/reservations?limit=10");
        await admin.GetAsync($"/inventory/{sku}/history?limit=5");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 2 })).StatusCode);
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = 2 }), 409, "row_already_hot");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/inventory/{sku}/hot")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/inventory/{sku}/hot")).StatusCode);
        await admin.GetAsync("/products?q=contract+tee");

        Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync("/reservations", new { reservation_id = "order-1", items = new[] { new { product_id = sku, quantity = 1 } } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await platform.PostAsJsonAsync("/orders/order-1/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "order-1" } } })).StatusCode);

        await admin.GetAsync($"/admin/invariants?product_id={sku}");
        await admin.PostAsync("/admin/threshold-check", null);
        await admin.GetAsync("/admin/alerts?limit=5");
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/products/{sku}/lead-time", new { lead_time_days = 14 })).StatusCode);
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync($"/products/{sku}/lead-time", new { lead_time_days = 400 }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PutAsJsonAsync("/products/no-such-product/lead-time", new { lead_time_days = 1 }), 404, "product_not_found");
        await admin.GetAsync("/admin/cover?limit=5");
        await admin.GetAsync($"/admin/cover?product_id={sku}");
        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/cover?next_token=bm90LWEtdG9rZW4"), 400, "invalid_token");
        var stocked = await service.CreateProductAsync(stock: 10);
        var alertId = (await service.AlertsForAsync(stocked))[^1].GetProperty("alert_id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/admin/alerts/{alertId}/acknowledge", null)).StatusCode);
        await TestService.AssertProblemAsync(await admin.PostAsync("/admin/alerts/no-such-alert/acknowledge", null), 404, "alert_not_found");
        await admin.GetAsync($"/admin/alerts?acknowledged=true&status=IN_STOCK&product_id={stocked}");
        using (var stream = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/alerts/stream"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        }

        var created = await admin.PostAsJsonAsync("/admin/keys", new { name = "contract-reader", scope = "Read" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var keyId = (await TestService.ReadJsonAsync(created)).GetProperty("key_id").GetString();
        await admin.GetAsync("/admin/keys");
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/admin/keys/{keyId}")).StatusCode);

        // Stock moves: a transfer between two rows, and an inbound shipment with a receipt.
        var moving = await service.CreateProductAsync(stock: 10);
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync($"/inventory/{moving}", new { warehouse_id = "south", stock_count = 0 })).StatusCode);
        using (var transfer = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{moving}/transfers") { Content = JsonContent.Create(new { from_warehouse = "main", to_warehouse = "south", quantity = 2 }) })
        {
            transfer.Headers.Add("Idempotency-Key", "contract-transfer-1");
            Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(transfer)).StatusCode);
        }

        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync($"/inventory/{moving}/transfers", new { from_warehouse = "main", to_warehouse = "south", quantity = 100, transfer_id = "contract-transfer-2" }), 409, "insufficient_stock");
        var expected = DateTime.UtcNow.AddDays(3).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/shipments", new
        {
            shipment_id = "contract-po-1", supplier_reference = "PO-1", warehouse_id = "south",
            lines = new[] { new { product_id = moving, expected_quantity = 5, expected_date = expected } },
        })).StatusCode);
        await admin.GetAsync($"/inventory/{moving}");
        await admin.GetAsync($"/shipments?product_id={moving}");
        await admin.GetAsync("/shipments/contract-po-1");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/shipments/contract-po-1/receipts", new { receipt_id = "r-1", lines = new[] { new { product_id = moving, quantity = 3 } } })).StatusCode);
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments/contract-po-1/receipts", new { receipt_id = "r-2", lines = new[] { new { product_id = moving, quantity = 3 } } }), 409, "over_receipt");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/shipments/contract-po-1/close", null)).StatusCode);
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments/contract-po-1/receipts", new { receipt_id = "r-3", lines = new[] { new { product_id = moving, quantity = 1 } } }), 409, "shipment_closed");

        var importLine = new { line = 2, product_id = sku, warehouse_id = "north", stock = "20" };
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/imports/contract-import/lines?dry_run=true", new { lines = new[] { importLine } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/exports/stock?category=tees")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/admin/exports/history/{sku}")).StatusCode);

        // Everything the document declares was answered (and checked) above.
        var contract = await OpenApiContract.ForAsync(service.BaseAddress);
        var reached = OpenApiContract.Reached[service.BaseAddress.GetLeftPart(UriPartial.Authority)];
        var missed = contract.Operations.Where(o => !reached.ContainsKey(o)).ToList();
        Assert.True(missed.Count == 0, "Not reached: " + string.Join(", ", missed));
    }

    [Fact]
    public async Task The_document_describes_each_query_parameter_as_the_service_accepts_it()
    {
        using var anonymous = service.Client(apiKey: null);
        var paths = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json")).RootElement.GetProperty("paths");
        JsonElement Parameter(string path, string method, string name) =>
            paths.GetProperty(path).GetProperty(method).GetProperty("parameters").EnumerateArray()
                .Single(p => p.GetProperty("in").GetString() == "query" && p.GetProperty("name").GetString() == name);
        static string[] Values(JsonElement parameter) =>
            [.. parameter.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()!)];

        Assert.Equal(Enum.GetNames<Inventory.Api.Domain.MoveKind>(), Values(Parameter("/inventory/{productId}/history", "get", "kind")));
        foreach (var bound in new[] { "from", "to" })
        {
            var time = Parameter("/inventory/{productId}/history", "get", bound).GetProperty("schema");
            Assert.Equal("string", time.GetProperty("type").GetString());
            Assert.Equal("date-time", time.GetProperty("format").GetString());
        }

        var limit = Parameter("/inventory/{productId}/history", "get", "limit");
        Assert.Equal("integer", limit.GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal(1, limit.GetProperty("schema").GetProperty("minimum").GetInt32());
        Assert.Equal(new Inventory.Api.Features.InventoryOptions().MaxPageSize, limit.GetProperty("schema").GetProperty("maximum").GetInt32());
        Assert.False(string.IsNullOrEmpty(limit.GetProperty("description").GetString()));
        Assert.Equal(
            Inventory.Api.Features.Exports.ExportsApi.MaxLimit,
            Parameter("/admin/exports/history/{productId}", "get", "limit").GetProperty("schema").GetProperty("maximum").GetInt32());

        Assert.Equal("boolean", Parameter("/admin/alerts", "get", "acknowledged").GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal(Enum.GetNames<Inventory.Api.Domain.StockStatus>(), Values(Parameter("/admin/alerts", "get", "status")));
        Assert.Equal(Enum.GetNames<Inventory.Api.Domain.ReservationStatus>(), Values(Parameter("/inventory/{productId}/reservations", "get", "status")));
        Assert.Equal(["open", "all"], Values(Parameter("/shipments", "get", "status")));
        Assert.True(Parameter("/shipments", "get", "product_id").GetProperty("required").GetBoolean());

        var dryRun = Parameter("/imports/{importId}/lines", "post", "dry_run");
        Assert.Equal("boolean", dryRun.GetProperty("schema").GetProperty("type").GetString());
        Assert.True(dryRun.GetProperty("required").GetBoolean());
        Assert.Equal("boolean", Parameter("/imports/{importId}/lines", "post", "overwrite").GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal("boolean", Parameter("/admin/invariants", "get", "history").GetProperty("schema").GetProperty("type").GetString());

        // And the service takes what the document describes: an integer limit, a date-time, a boolean, an enum value.
        using var admin = service.Client();
        var sku = await service.CreateProductAsync(stock: 3);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/inventory/{sku}/history?limit=10&kind=CREATE&from=2026-01-01T00:00:00Z&to=2100-01-01T00:00:00.5%2B01:00")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/admin/alerts?acknowledged=false&status=LOW_STOCK")).StatusCode);

        // Every query parameter of every operation says what it is for.
        var undescribed = paths.EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(m => m.Value.TryGetProperty("parameters", out _))
                .SelectMany(method => method.Value.GetProperty("parameters").EnumerateArray()
                    .Where(p => p.GetProperty("in").GetString() == "query" && !p.TryGetProperty("description", out _))
                    .Select(p => $"{method.Name} {path.Name} {p.GetProperty("name").GetString()}")))
            .ToList();
        Assert.True(undescribed.Count == 0, "No description: " + string.Join(", ", undescribed));
    }

    [Fact]
    public async Task A_body_over_a_megabyte_is_refused_with_413_before_it_is_read_and_events_take_more()
    {
        using var reader = service.Client(TestService.ReadKey);
        var padding = new string(' ', (int)Inventory.Api.InventoryApp.MaxRequestBodyBytes);
        var refused = await reader.PostAsync("/inventory/check", TestService.RawJson("{\"items\":[{\"sku\":\"a\",\"quantity\":1}]" + padding + "}"));
        var problem = await TestService.AssertProblemAsync(refused, 413, "request_too_large");
        Assert.Equal("The request is too large.", problem.GetProperty("title").GetString());

        // Lambda hands /events whole batches of messages, several megabytes: the API's limit does not apply there.
        using var admin = service.Client();
        var batch = await admin.PostAsync("/events", TestService.RawJson("{\"Records\":[]" + padding + padding + "}"));
        Assert.NotEqual(System.Net.HttpStatusCode.RequestEntityTooLarge, batch.StatusCode);
    }

    [Fact]
    public async Task An_order_with_one_short_item_lists_it_in_items()
    {
        var plenty = await service.CreateProductAsync(stock: 20);
        var scarce = await service.CreateProductAsync(stock: 1);
        using var platform = service.Client(TestService.ReserveKey);

        var refusal = await TestService.AssertProblemAsync(await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "order-short-one",
            items = new[] { new { product_id = plenty, quantity = 2 }, new { product_id = scarce, quantity = 3 } },
        }), 409, "insufficient_stock");

        var item = Assert.Single(refusal.GetProperty("items").EnumerateArray());
        Assert.Equal(scarce, item.GetProperty("product_id").GetString());
        Assert.Equal(3, item.GetProperty("requested").GetInt64());
        Assert.Equal(1, item.GetProperty("available_count").GetInt64());
        Assert.Equal(20, (await service.GetInventoryAsync(plenty)).GetProperty("available_count").GetInt64());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("main")]
    public async Task An_order_with_every_item_short_lists_every_item(string? warehouse)
    {
        var first = await service.CreateProductAsync(stock: 1);
        var second = await service.CreateProductAsync(stock: 2);
        using var platform = service.Client(TestService.ReserveKey);

        var refusal = await TestService.AssertProblemAsync(await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = "order-short-all-" + warehouse,
            items = new[] { new { product_id = first, quantity = 5, warehouse_id = warehouse }, new { product_id = second, quantity = 5, warehouse_id = warehouse } },
        }), 409, "insufficient_stock");

        Assert.Equal(
            [(first, 1L), (second, 2L)],
            refusal.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("product_id").GetString(), i.GetProperty("available_count").GetInt64())).OrderBy(i => i.Item2));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("main")]
    public async Task A_fulfilment_with_two_short_lines_reports_both(string? warehouse)
    {
        var first = await service.CreateProductAsync(stock: 1);
        var second = await service.CreateProductAsync(stock: 2);
        var enough = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);

        var refusal = await TestService.AssertProblemAsync(await platform.PostAsJsonAsync($"/orders/order-two-short-{warehouse}/fulfil", new
        {
            lines = new[]
            {
                new { product_id = enough, quantity = 1, warehouse_id = warehouse },
                new { product_id = first, quantity = 4, warehouse_id = warehouse },
                new { product_id = second, quantity = 4, warehouse_id = warehouse },
            },
        }), 409, "insufficient_stock");

        Assert.Equal(
            new[] { first, second }.Order(),
            refusal.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("product_id").GetString()).Order());
        Assert.Equal(10, (await service.GetInventoryAsync(enough)).GetProperty("available_count").GetInt64());
    }

    [Fact]
    public async Task A_single_hold_refusal_carries_the_item_both_flat_and_in_items()
    {
        var sku = await service.CreateProductAsync(stock: 1);
        using var platform = service.Client(TestService.ReserveKey);

        var refusal = await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "single-short" }), 409, "insufficient_stock");

        Assert.Equal(1, refusal.GetProperty("available_count").GetInt64());
        var item = Assert.Single(refusal.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.String, item.GetProperty("product_id").ValueKind);
        Assert.Equal(2, item.GetProperty("requested").GetInt64());
    }
}

/// <summary>The service as it runs behind API Gateway's own address, where the stage begins every public path.</summary>
public sealed class StagedService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Http:PublicPathBase=/prod"];
}

public class PublicPathBaseTests(StagedService service) : IClassFixture<StagedService>
{
    [Fact]
    public async Task Location_headers_carry_the_stage_so_a_client_can_follow_them()
    {
        using var admin = service.Client();
        var sku = "staged-" + Guid.NewGuid().ToString("N")[..8];
        var created = await admin.PostAsJsonAsync("/products", new { sku, name = "Staged", price = 1m });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/prod/products/{sku}", created.Headers.Location?.OriginalString);

        using var platform = service.Client(TestService.ReserveKey);
        await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 5, expected_version = 1 });
        var held = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "staged-cart" });
        Assert.Equal($"/prod/inventory/{sku}/reserve/staged-cart", held.Headers.Location?.OriginalString);
    }
}
