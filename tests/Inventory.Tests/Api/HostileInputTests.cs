using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Inventory.Api.Storage;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>Whatever a client sends, the answer is a problem with a stable code, never a 5xx, and nothing changes.</summary>
public class HostileInputTests(TestService service) : IClassFixture<TestService>
{
    private static string Token(object keys) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(keys)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Theory]
    [InlineData("application/json; charset=nonsense")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=\"\"")]
    public async Task A_body_in_another_charset_is_415_and_changes_nothing(string contentType)
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var platform = service.Client(TestService.ReserveKey);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"quantity":1,"reservation_id":"c"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        await TestService.AssertProblemAsync(await platform.PostAsync($"/inventory/{sku}/reserve", content), 415, "unsupported_media_type");
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
    }

    [Fact]
    public async Task An_empty_string_is_never_an_id_even_where_the_id_is_optional()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var admin = service.Client();
        var refusals = new[]
        {
            await admin.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "e1", warehouse_id = "" }),
            await admin.PostAsJsonAsync("/reservations", new { reservation_id = "e2", items = new[] { new { product_id = sku, quantity = 1, warehouse_id = "" } } }),
            await admin.PostAsJsonAsync("/orders/e3/fulfil", new { lines = new[] { new { product_id = sku, quantity = 1, warehouse_id = "" } } }),
            await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 9, category = "", expected_version = 2 }),
            await admin.PostAsJsonAsync("/products", new { sku = sku + "-b", name = "B", price = 1, category = "" }),
        };

        foreach (var refusal in refusals)
        {
            await TestService.AssertProblemAsync(refusal, 400, "validation_failed");
        }

        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(5, inventory.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, inventory.GetProperty("reserved_count").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/products/{sku}-b")).StatusCode);
    }

    [Fact]
    public async Task Errors_are_problem_json_whatever_the_client_accepts()
    {
        var sku = await service.CreateProductAsync(stock: 1);
        using var platform = service.Client(TestService.ReserveKey);
        platform.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));

        await TestService.AssertProblemAsync(await platform.GetAsync("/inventory/no-such-product"), 404, "product_not_found");
        await TestService.AssertProblemAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 5, reservation_id = "x" }), 409, "insufficient_stock");
        await TestService.AssertProblemAsync(await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 0, reservation_id = "x" }), 400, "validation_failed");
    }

    [Fact]
    public async Task Errors_the_framework_makes_carry_a_code_too()
    {
        using var admin = service.Client();
        await TestService.AssertProblemAsync(await admin.DeleteAsync("/inventory"), 405, "method_not_allowed");
        await TestService.AssertProblemAsync(await admin.GetAsync("/no/such/route"), 404, "not_found");
        await TestService.AssertProblemAsync(await admin.PostAsync("/products", new StringContent("sku=x", Encoding.UTF8, "text/plain")), 415, "unsupported_media_type");
    }

    [Fact]
    public async Task Forged_or_foreign_page_tokens_are_400_invalid_token()
    {
        var apparel = await service.CreateProductAsync(stock: 1, category: "apparel");
        await service.CreateProductAsync(stock: 1, category: "kitchen");
        using var admin = service.Client();
        using var reader = service.Client(TestService.ReadKey);
        var urls = new[]
        {
            $"/inventory?category=kitchen&next_token={Token(new { category = "apparel", product_id = apparel, warehouse_id = "main" })}",
            $"/inventory?status=LOW_STOCK&next_token={Token(new { status = "IN_STOCK", product_id = apparel, warehouse_id = "main" })}",
            $"/admin/alerts?next_token={Token(new { alert_stream = "someone-else", alert_key = "2026" })}",
            $"/inventory?next_token={Token(new { product_id = "#5", warehouse_id = "main" })}",
            $"/admin/alerts?next_token={Token(new { alert_stream = "alerts", alert_key = "#1" })}",
            $"/inventory?category=apparel&next_token={Token(new { category = "apparel", product_id = "#7", warehouse_id = "main" })}",
        };
        foreach (var url in urls)
        {
            await TestService.AssertProblemAsync(await admin.GetAsync(url), 400, "invalid_token");
        }

        await TestService.AssertProblemAsync(await reader.GetAsync($"/products?next_token={Token(new { sku = "#3" })}"), 400, "invalid_token");
    }

    [Fact]
    public async Task Events_with_invalid_text_are_refused_or_kept_on_the_queue_never_a_500()
    {
        // A local call: outside the Lambda Web Adapter, /events takes the admin key.
        using var runtime = service.Client();
        var invalidBytes = new ByteArrayContent([.. Encoding.ASCII.GetBytes("{\"detail\":{\"job\":\"expiry"), 0xFF, 0xFE, .. Encoding.ASCII.GetBytes("\"}}")]);
        invalidBytes.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var bytes = await runtime.PostAsync("/events", invalidBytes);
        var surrogateJob = await runtime.PostAsync("/events", TestService.RawJson("""{"detail":{"job":"\ud800"}}"""));
        var surrogateIds = await runtime.PostAsync("/events", TestService.RawJson("""{"Records":[{"messageId":"\ud800","body":"{}"},{"messageId":"m2","body":"\ud800"}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, bytes.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, surrogateJob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, surrogateIds.StatusCode);
        var failures = (await TestService.ReadJsonAsync(surrogateIds)).GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()).ToList();
        Assert.Contains("", failures);
        Assert.Contains("m2", failures);
    }

    [Theory]
    [InlineData("""{"type":"ReserveInventory","order_id":"ORDER","customer_id":"c","items":[{"sku":"SKU","quantity":"2"}]}""", "invalid_quantity")]
    [InlineData("""{"type":"ReserveInventory","order_id":"ORDER","customer_id":"c","items":[{"sku":"SKU","quantity":1.5}]}""", "invalid_quantity")]
    [InlineData("""{"type":"ReserveInventory","order_id":"ORDER","customer_id":"c","items":["SKU"]}""", "invalid_sku")]
    [InlineData("""{"type":"ReserveInventory","order_id":"ORDER","customer_id":"c","items":[{"sku":12345,"quantity":1}]}""", "invalid_sku")]
    [InlineData("""{"type":"ReserveInventory","order_id":"ORDER","customer_id":42,"items":[{"sku":"SKU","quantity":1}]}""", null)]
    [InlineData("""{"type":"ReserveInventory","order_id":"ORDER","customer_id":"c","items":{"sku":"SKU"}}""", null)]
    public async Task A_message_with_a_usable_order_id_but_wrong_types_is_answered_invalid_message(string template, string? lineReason)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        var body = template.Replace("ORDER", orderId, StringComparison.Ordinal).Replace("SKU", sku, StringComparison.Ordinal);
        using var runtime = service.Client();

        var answer = await TestService.ReadJsonAsync(await runtime.PostAsync("/events", TestService.RawJson(JsonSerializer.Serialize(new { Records = new[] { new { messageId = "m", body } } }))));

        Assert.Empty(answer.GetProperty("batchItemFailures").EnumerateArray());
        var record = await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None);
        var outcome = JsonDocument.Parse(record!.OutcomeEventJson).RootElement;
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("invalid_message", outcome.GetProperty("reason").GetString());
        if (lineReason is not null)
        {
            Assert.Equal(lineReason, outcome.GetProperty("items")[0].GetProperty("reason").GetString());
        }

        Assert.Equal(10, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
    }

    [Fact]
    public async Task The_availability_check_answers_what_a_reservation_would_do_across_warehouses()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        using var admin = service.Client();
        (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "east", stock_count = 3 })).EnsureSuccessStatusCode();
        using var reader = service.Client(TestService.ReadKey);

        var check = await TestService.ReadJsonAsync(await reader.PostAsJsonAsync("/inventory/check", new { items = new[] { new { sku, quantity = 5 } } }));
        var reserve = await admin.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 5, reservation_id = "five" });

        Assert.Equal("UNAVAILABLE", check.GetProperty("status").GetString());
        Assert.Equal(3, check.GetProperty("items")[0].GetProperty("available_count").GetInt64());
        Assert.Equal(HttpStatusCode.Conflict, reserve.StatusCode);
    }

    [Fact]
    public async Task Adjustments_cannot_push_stock_past_the_ceiling()
    {
        var sku = await service.CreateProductAsync(stock: 999_999_990);
        using var admin = service.Client();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = 20, reason = "count" }) };
        request.Headers.Add("Idempotency-Key", "over");

        await TestService.AssertProblemAsync(await admin.SendAsync(request), 409, "stock_limit_exceeded");
        Assert.Equal(999_999_990, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
    }
}

/// <summary>The whole-table drift report counts each row once, also when a product's rows straddle a scan page.</summary>
[Trait(Lanes.Name, Lanes.Load)]
public class DriftReportPagingTests(TestService service) : IClassFixture<TestService>
{
    private static readonly string[] OtherWarehouses = ["east", "west"];

    [Fact]
    public async Task Every_row_is_checked_exactly_once()
    {
        // 45 products of 3 rows: 135 rows, and the page size of 100 is not a multiple of 3, so a product straddles.
        using var admin = service.Client();
        await Parallel.ForEachAsync(Enumerable.Range(0, 45), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            var sku = await service.CreateProductAsync(stock: 1);
            foreach (var warehouse in OtherWarehouses)
            {
                (await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = warehouse, stock_count = 2 }, ct)).EnsureSuccessStatusCode();
            }
        });

        var report = await TestService.ReadJsonAsync(await admin.GetAsync("/admin/invariants"));

        Assert.Equal(135, report.GetProperty("rows_checked").GetInt32());
        Assert.Empty(report.GetProperty("violations").EnumerateArray());
    }
}
