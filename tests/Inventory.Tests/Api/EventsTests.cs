using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Api.Storage;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// POST /events as the Lambda Web Adapter sends it, on a service that runs behind one: SQS batches carrying the order
/// service's ReserveInventory message, and scheduled jobs.
/// </summary>
public class EventsTests(WebAdapterService service) : IClassFixture<WebAdapterService>
{
    internal static string ReserveMessage(string orderId, params (string Sku, long Quantity)[] items) => JsonSerializer.Serialize(new
    {
        type = "ReserveInventory",
        order_id = orderId,
        customer_id = "customer-7",
        items = items.Select(i => new { sku = i.Sku, quantity = i.Quantity }),
        timestamp = "2026-11-22T10:00:00Z",
    });

    /// <summary>An SQS event as Lambda delivers it; each message id is "m{index}".</summary>
    internal static string SqsBatch(params string[] bodies) => JsonSerializer.Serialize(new
    {
        Records = bodies.Select((body, i) => new
        {
            messageId = $"m{i}",
            receiptHandle = "handle",
            body,
            eventSource = "aws:sqs",
            eventSourceARN = "arn:aws:sqs:us-east-1:123456789012:IMS-InventoryQueue",
            awsRegion = "us-east-1",
        }),
    });

    /// <summary>Posts an event the way the Lambda Web Adapter does, and returns the ids Lambda would leave on the queue.</summary>
    private async Task<List<string>> SendBatchAsync(params string[] bodies)
    {
        using var runtime = service.Client(apiKey: null);
        var response = await runtime.SendAsync(WebAdapter.PassThrough(SqsBatch(bodies)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await TestService.ReadJsonAsync(response);
        return json.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()!).ToList();
    }

    private async Task<JsonElement> OutcomeAsync(string orderId)
    {
        var record = await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None);
        Assert.NotNull(record);
        var outcome = JsonDocument.Parse(record.OutcomeEventJson).RootElement;
        Assert.Equal(record.Outcome, outcome.GetProperty("type").GetString());
        return outcome;
    }

    private async Task<long> AvailableAsync(string sku) => (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64();

    [Fact]
    public async Task A_ReserveInventory_message_holds_every_item_and_records_InventoryReserved()
    {
        var shirt = await service.CreateProductAsync(stock: 10);
        var mug = await service.CreateProductAsync(stock: 5);
        var orderId = Guid.NewGuid().ToString();

        Assert.Empty(await SendBatchAsync(ReserveMessage(orderId, (shirt, 2), (mug, 5))));

        Assert.Equal(8, await AvailableAsync(shirt));
        Assert.Equal(0, await AvailableAsync(mug));
        var outcome = await OutcomeAsync(orderId);
        Assert.Equal("InventoryReserved", outcome.GetProperty("type").GetString());
        Assert.Equal(orderId, outcome.GetProperty("order_id").GetString());
        Assert.Equal("customer-7", outcome.GetProperty("customer_id").GetString());
        Assert.Equal(orderId, outcome.GetProperty("reservation_id").GetString());
        var lines = outcome.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([(shirt, 2L), (mug, 5L)], lines.Select(l => (l.GetProperty("sku").GetString()!, l.GetProperty("quantity").GetInt64())));
        Assert.All(lines, l => Assert.Equal("main", l.GetProperty("warehouse_id").GetString()));

        // The holds are ordinary reservations under the order id: the order service can fulfil or release them.
        using var platform = service.Client(TestService.ReserveKey);
        var hold = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{shirt}/reserve/{orderId}"));
        Assert.Equal("ACTIVE", hold.GetProperty("status").GetString());
        await service.AssertInvariantsAsync(shirt, mug);
    }

    [Fact]
    public async Task A_redelivered_message_changes_nothing_and_yields_the_same_outcome()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        var message = ReserveMessage(orderId, (sku, 3));

        Assert.Empty(await SendBatchAsync(message));
        var first = (await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None))!;

        // SQS delivers at least once: again on its own, twice in one batch, and in 20 batches at the same time.
        Assert.Empty(await SendBatchAsync(message));
        Assert.Empty(await SendBatchAsync(message, message));
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => SendBatchAsync(message)));
        Assert.All(concurrent, Assert.Empty);

        Assert.Equal(7, await AvailableAsync(sku));
        var last = (await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None))!;
        Assert.Equal(first.OutcomeEventJson, last.OutcomeEventJson);
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Concurrent_first_deliveries_of_one_order_hold_once()
    {
        var sku = await service.CreateProductAsync(stock: 100);
        var orderId = Guid.NewGuid().ToString();
        var message = ReserveMessage(orderId, (sku, 4));

        var batches = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => SendBatchAsync(message)));

        Assert.All(batches, Assert.Empty);
        Assert.Equal(96, await AvailableAsync(sku));
        Assert.Equal("InventoryReserved", (await OutcomeAsync(orderId)).GetProperty("type").GetString());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Insufficient_stock_on_one_item_fails_the_order_and_leaves_every_item_untouched()
    {
        var plenty = await service.CreateProductAsync(stock: 10);
        var scarce = await service.CreateProductAsync(stock: 3);
        var orderId = Guid.NewGuid().ToString();

        // Refused for lack of stock is an answer, not an error: the message is done, not retried.
        Assert.Empty(await SendBatchAsync(ReserveMessage(orderId, (plenty, 2), (scarce, 5))));

        Assert.Equal(10, await AvailableAsync(plenty));
        Assert.Equal(3, await AvailableAsync(scarce));
        var outcome = await OutcomeAsync(orderId);
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("insufficient_stock", outcome.GetProperty("reason").GetString());
        var lines = outcome.GetProperty("items").EnumerateArray().ToDictionary(l => l.GetProperty("sku").GetString()!);
        Assert.Equal(JsonValueKind.Null, lines[plenty].GetProperty("reason").ValueKind);
        Assert.Equal("insufficient_stock", lines[scarce].GetProperty("reason").GetString());
        Assert.Equal(3, lines[scarce].GetProperty("available_count").GetInt64());

        using var platform = service.Client(TestService.ReserveKey);
        Assert.Equal(HttpStatusCode.NotFound, (await platform.GetAsync($"/inventory/{plenty}/reserve/{orderId}")).StatusCode);
        await service.AssertInvariantsAsync(plenty, scarce);
    }

    [Fact]
    public async Task An_unknown_sku_fails_the_order_with_its_reason_and_holds_nothing()
    {
        var known = await service.CreateProductAsync(stock: 10);
        var unknown = "no-such-sku-" + Guid.NewGuid().ToString("N")[..8];
        var orderId = Guid.NewGuid().ToString();

        Assert.Empty(await SendBatchAsync(ReserveMessage(orderId, (known, 1), (unknown, 1))));

        var outcome = await OutcomeAsync(orderId);
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("unknown_sku", outcome.GetProperty("reason").GetString());
        var lines = outcome.GetProperty("items").EnumerateArray().ToDictionary(l => l.GetProperty("sku").GetString()!);
        Assert.Equal("unknown_sku", lines[unknown].GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, lines[known].GetProperty("reason").ValueKind);
        Assert.Equal(10, await AvailableAsync(known));
        await service.AssertInvariantsAsync(known);
    }

    [Fact]
    public async Task A_message_for_an_order_already_held_over_HTTP_is_answered_reserved_without_holding_twice()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = orderId })).EnsureSuccessStatusCode();

        Assert.Empty(await SendBatchAsync(ReserveMessage(orderId, (sku, 2))));

        Assert.Equal("InventoryReserved", (await OutcomeAsync(orderId)).GetProperty("type").GetString());
        Assert.Equal(8, await AvailableAsync(sku));
        await service.AssertInvariantsAsync(sku);
    }

    [Theory]
    [InlineData("released")]
    [InlineData("sold")]
    public async Task A_message_for_an_order_whose_holds_have_ended_is_refused_and_holds_nothing(string ending)
    {
        var shirt = await service.CreateProductAsync(stock: 10);
        var mug = await service.CreateProductAsync(stock: 5);
        var orderId = Guid.NewGuid().ToString();
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = orderId,
            items = new[] { new { product_id = shirt, quantity = 2 }, new { product_id = mug, quantity = 1 } },
        })).EnsureSuccessStatusCode();
        if (ending == "released")
        {
            (await platform.DeleteAsync($"/inventory/{shirt}/reserve/{orderId}")).EnsureSuccessStatusCode();
            (await platform.DeleteAsync($"/inventory/{mug}/reserve/{orderId}")).EnsureSuccessStatusCode();
        }
        else
        {
            (await platform.PostAsJsonAsync($"/orders/{orderId}/fulfil", new
            {
                lines = new[] { new { product_id = shirt, reservation_id = orderId }, new { product_id = mug, reservation_id = orderId } },
            })).EnsureSuccessStatusCode();
        }

        var stockBefore = (await AvailableAsync(shirt), await AvailableAsync(mug));

        // The late message, then its redelivery: the order id is not revived, and the answer stays the refusal.
        var message = ReserveMessage(orderId, (shirt, 2), (mug, 1));
        Assert.Empty(await SendBatchAsync(message));
        Assert.Empty(await SendBatchAsync(message));

        var outcome = await OutcomeAsync(orderId);
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("reservation_ended", outcome.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, outcome.GetProperty("expires_at").ValueKind);
        var finalStatus = ending == "released" ? "RELEASED" : "FULFILLED";
        Assert.All(outcome.GetProperty("items").EnumerateArray(), line =>
        {
            Assert.Equal("reservation_ended", line.GetProperty("reason").GetString());
            Assert.Equal(finalStatus, line.GetProperty("reservation_status").GetString());
        });
        Assert.Equal(stockBefore, (await AvailableAsync(shirt), await AvailableAsync(mug)));
        Assert.Equal(0, (await service.GetInventoryAsync(shirt)).GetProperty("reserved_count").GetInt64());
        Assert.Equal(finalStatus, (await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{shirt}/reserve/{orderId}"))).GetProperty("status").GetString());
        await service.AssertInvariantsAsync(shirt, mug);
    }

    [Fact]
    public async Task A_message_for_an_order_with_one_hold_released_is_refused_and_says_which_line_is_still_held()
    {
        var shirt = await service.CreateProductAsync(stock: 10);
        var mug = await service.CreateProductAsync(stock: 5);
        var orderId = Guid.NewGuid().ToString();
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync("/reservations", new
        {
            reservation_id = orderId,
            items = new[] { new { product_id = shirt, quantity = 2 }, new { product_id = mug, quantity = 1 } },
        })).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{mug}/reserve/{orderId}")).EnsureSuccessStatusCode();

        Assert.Empty(await SendBatchAsync(ReserveMessage(orderId, (shirt, 2), (mug, 1))));

        var outcome = await OutcomeAsync(orderId);
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("reservation_ended", outcome.GetProperty("reason").GetString());
        var lines = outcome.GetProperty("items").EnumerateArray().ToDictionary(l => l.GetProperty("sku").GetString()!);
        Assert.Equal("reservation_ended", lines[mug].GetProperty("reason").GetString());
        Assert.Equal("RELEASED", lines[mug].GetProperty("reservation_status").GetString());
        Assert.Equal(JsonValueKind.Null, lines[shirt].GetProperty("reason").ValueKind);
        Assert.Equal("ACTIVE", lines[shirt].GetProperty("reservation_status").GetString());
        Assert.Equal(8, await AvailableAsync(shirt));
        Assert.Equal(5, await AvailableAsync(mug));
        await service.AssertInvariantsAsync(shirt, mug);
    }

    [Fact]
    public async Task A_partial_batch_failure_names_only_the_messages_that_cannot_be_processed()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var first = Guid.NewGuid().ToString();
        var last = Guid.NewGuid().ToString();

        var failures = await SendBatchAsync(
            ReserveMessage(first, (sku, 1)),
            "this is not json",
            """{"type":"CancelOrder","order_id":"o-1"}""",
            """{"type":"ReserveInventory","customer_id":"c","items":[{"sku":"x","quantity":1}]}""",
            ReserveMessage(last, (sku, 2)));

        Assert.Equal(["m1", "m2", "m3"], failures);
        Assert.Equal(7, await AvailableAsync(sku));
        Assert.Equal("InventoryReserved", (await OutcomeAsync(first)).GetProperty("type").GetString());
        Assert.Equal("InventoryReserved", (await OutcomeAsync(last)).GetProperty("type").GetString());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task A_message_with_invalid_lines_is_answered_as_failed_because_retrying_cannot_help()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();

        Assert.Empty(await SendBatchAsync(ReserveMessage(orderId, (sku, 0))));

        var outcome = await OutcomeAsync(orderId);
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("invalid_message", outcome.GetProperty("reason").GetString());
        Assert.Equal("invalid_quantity", outcome.GetProperty("items")[0].GetProperty("reason").GetString());
        Assert.Equal(10, await AvailableAsync(sku));
    }

    /// <summary>About 311 KB each, under SQS's 1 MB: thousands of lines, one enormous sku, an enormous customer id.</summary>
    private static string OversizedMessage(int shape, string orderId) => shape switch
    {
        0 => JsonSerializer.Serialize(new { type = "ReserveInventory", order_id = orderId, items = Enumerable.Range(0, 6000).Select(i => new { sku = $"sku-{i:D30}", quantity = 1 }) }),
        1 => JsonSerializer.Serialize(new { type = "ReserveInventory", order_id = orderId, items = new[] { new { sku = new string('s', 311_000), quantity = 1 } } }),
        _ => JsonSerializer.Serialize(new { type = "ReserveInventory", order_id = orderId, customer_id = new string('c', 311_000), items = new[] { new { sku = "demo", quantity = 1 } } }),
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task An_oversized_message_is_answered_with_a_bounded_refusal_not_left_to_the_dead_letter_queue(int shape)
    {
        var orderId = Guid.NewGuid().ToString();
        var message = OversizedMessage(shape, orderId);
        Assert.True(message.Length > 300_000);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Empty(await SendBatchAsync(message));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"answering took {clock.Elapsed}");
        var record = await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None);
        Assert.NotNull(record);
        Assert.True(record.OutcomeEventJson.Length < 20_000, $"the answer is {record.OutcomeEventJson.Length} characters");
        var outcome = JsonDocument.Parse(record.OutcomeEventJson).RootElement;
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("invalid_message", outcome.GetProperty("reason").GetString());
        Assert.True(outcome.GetProperty("items").GetArrayLength() <= Inventory.Api.Features.Events.ReserveInventoryHandler.MaxLines);
    }

    [Fact]
    public async Task Two_hundred_orders_for_fifty_units_reserve_exactly_fifty()
    {
        var sku = await service.CreateProductAsync(stock: 50, threshold: 5);
        var orders = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid().ToString()).ToList();

        // 20 batches of 10 messages (SQS's batch size), all at once.
        var batches = await Task.WhenAll(orders.Chunk(10).Select(chunk => SendBatchAsync(chunk.Select(o => ReserveMessage(o, (sku, 1))).ToArray())));

        Assert.All(batches, Assert.Empty);
        var outcomes = await Task.WhenAll(orders.Select(OutcomeAsync));
        Assert.Equal(50, outcomes.Count(o => o.GetProperty("type").GetString() == "InventoryReserved"));
        Assert.Equal(150, outcomes.Count(o => o.GetProperty("type").GetString() == "InventoryReservationFailed"));
        Assert.Equal(0, await AvailableAsync(sku));
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Scheduled_events_run_the_job_they_name()
    {
        using var runtime = service.Client(apiKey: null);
        var sweep = await runtime.SendAsync(WebAdapter.PassThrough("""
            {"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-11-22T10:00:00Z",
             "region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/other"],"detail":{"job":"expiry-sweep"}}
            """));
        Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
        Assert.Equal("application/json", sweep.Content.Headers.ContentType?.MediaType);
        var swept = await TestService.ReadJsonAsync(sweep);
        Assert.Equal("expiry-sweep", swept.GetProperty("job").GetString());
        Assert.True(swept.GetProperty("expired_reservations").GetInt32() >= 0);

        await service.CreateProductAsync(stock: 10, threshold: 5);
        var check = await runtime.SendAsync(WebAdapter.PassThrough("""
            {"detail-type":"Scheduled Event","source":"aws.events","resources":["arn:aws:events:us-east-1:123456789012:rule/inventory-threshold-check"],"detail":{}}
            """));
        var checkedRows = await TestService.ReadJsonAsync(check);
        Assert.Equal("threshold-check", checkedRows.GetProperty("job").GetString());
        Assert.True(checkedRows.GetProperty("rows_scanned").GetInt32() >= 1);
        Assert.Equal(0, checkedRows.GetProperty("statuses_repaired").GetInt32()); // what it repairs: ThresholdCheckTests
    }

    internal static async Task<List<string>> BatchFailuresAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await TestService.ReadJsonAsync(response);
        return json.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()!).ToList();
    }

    [Fact]
    public async Task An_SQS_batch_forwarded_by_the_Web_Adapter_is_processed()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var runtime = service.Client(apiKey: null);

        var response = await runtime.SendAsync(WebAdapter.PassThrough(SqsBatch(ReserveMessage(orderId, (sku, 3)))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await BatchFailuresAsync(response));
        Assert.Equal(7, await AvailableAsync(sku));
        Assert.Equal("InventoryReserved", (await OutcomeAsync(orderId)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_schedule_forwarded_by_the_Web_Adapter_runs_its_job()
    {
        using var runtime = service.Client(apiKey: null);

        var response = await runtime.SendAsync(WebAdapter.PassThrough("""
            {"version":"0","id":"e1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-23T10:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/inventory-expiry-sweep"],"detail":{}}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("expiry-sweep", (await TestService.ReadJsonAsync(response)).GetProperty("job").GetString());
    }

    [Theory]
    [InlineData("""{"detail-type":"Scheduled Event","detail":{"job":"reboot"}}""", "unknown_event")]
    [InlineData("""[1,2,3]""", "unknown_event")]
    [InlineData("""{"Records": """, "invalid_event")]
    [InlineData("""{"Records":[{"messageId":"a","body":"x"}""", "invalid_event")]
    public async Task Unknown_or_unreadable_events_get_a_json_400_that_Lambda_reads_as_a_failed_batch(string body, string code)
    {
        using var runtime = service.Client(apiKey: null);
        var response = await runtime.SendAsync(WebAdapter.PassThrough(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await TestService.ReadJsonAsync(response)).GetProperty("code").GetString());
        // Lambda sees only the body: an empty identifier makes it retry the whole batch rather than delete it.
        Assert.Equal([""], await BatchFailuresAsync(response));
    }

    [Fact]
    public async Task A_record_without_a_message_id_keeps_the_whole_batch_on_the_queue()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        var batch = JsonSerializer.Serialize(new
        {
            Records = new object[]
            {
                new { messageId = "m0", body = ReserveMessage(orderId, (sku, 1)) },
                new { body = ReserveMessage(Guid.NewGuid().ToString(), (sku, 1)) },
            },
        });
        using var runtime = service.Client(apiKey: null);

        var failures = await BatchFailuresAsync(await runtime.SendAsync(WebAdapter.PassThrough(batch)));

        Assert.Contains("", failures);
        Assert.Equal(9, await AvailableAsync(sku)); // the named message was handled (a retry of it is a replay)
    }

    [Fact]
    public async Task Requests_through_API_Gateway_are_refused_and_change_nothing()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var outsider = service.Client(apiKey: null);
        var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = TestService.RawJson(SqsBatch(ReserveMessage(orderId, (sku, 1)))) };
        request.Headers.Add("x-amzn-request-context", """{"requestId":"abc","stage":"prod","apiId":"a1b2c3","resourcePath":"/events","httpMethod":"POST"}""");

        var response = await outsider.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("events_not_public", (await TestService.ReadJsonAsync(response)).GetProperty("code").GetString());
        Assert.Equal(10, await AvailableAsync(sku));
        Assert.Null(await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None));
    }

    [Theory]
    [InlineData("https://attacker.example", "application/json")]
    [InlineData("null", "application/json")]
    [InlineData(null, "text/plain")]
    [InlineData(null, "application/x-www-form-urlencoded")]
    [InlineData(null, null)]
    public async Task Requests_a_web_page_can_send_are_refused_as_a_failed_batch_and_change_nothing(string? origin, string? contentType)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var runtime = service.Client(apiKey: null);
        var request = WebAdapter.PassThrough(SqsBatch(ReserveMessage(orderId, (sku, 1))));
        request.Content!.Headers.ContentType = contentType is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        var response = await runtime.SendAsync(request);

        var problem = await TestService.ReadJsonAsync(response);
        Assert.Equal(origin is null ? HttpStatusCode.UnsupportedMediaType : HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(origin is null ? "unsupported_media_type" : "events_not_public", problem.GetProperty("code").GetString());
        Assert.Equal([""], await BatchFailuresAsync(response));
        Assert.Equal(10, await AvailableAsync(sku));
        Assert.Null(await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None));
    }

    [Fact]
    public async Task On_Lambda_a_request_without_the_adapters_context_needs_the_admin_key_too()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var runtime = service.Client(apiKey: null);

        var response = await runtime.PostAsync("/events", TestService.RawJson(SqsBatch(ReserveMessage(orderId, (sku, 1)))));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([""], await BatchFailuresAsync(response));
        Assert.Equal(10, await AvailableAsync(sku));
    }

    [Fact]
    public async Task Events_are_not_part_of_the_published_API()
    {
        using var anonymous = service.Client(apiKey: null);
        var document = await anonymous.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/inventory/{productId}", document);
        Assert.DoesNotContain("/events", document);
    }
}

/// <summary>
/// POST /events on a service that does not run behind the Lambda Web Adapter (make start, a test, anything local):
/// whoever can reach the port could forge orders, run jobs or test keys through it, so it takes the admin key.
/// </summary>
public class LocalEventsTests(TestService service) : IClassFixture<TestService>
{
    private static string TokenEvent(string key) => JsonSerializer.Serialize(new
    {
        type = "TOKEN", authorizationToken = key, methodArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/inventory/x",
    });

    private const string Sweep = """{"detail-type":"Scheduled Event","detail":{"job":"expiry-sweep"}}""";

    [Theory]
    [InlineData(null, false)]
    [InlineData(null, true)] // the adapter's headers, forged: locally they prove nothing
    [InlineData("unknown-key", true)]
    [InlineData(TestService.ReadKey, false)]
    [InlineData(TestService.ReserveKey, true)]
    public async Task Without_the_admin_key_a_forged_order_a_job_or_a_key_test_is_refused_as_a_failed_batch(string? key, bool adapterHeaders)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var caller = service.Client(key);
        string[] events = [EventsTests.SqsBatch(EventsTests.ReserveMessage(orderId, (sku, 4))), Sweep, TokenEvent(TestService.AdminKey)];

        foreach (var body in events)
        {
            var response = await caller.SendAsync(adapterHeaders
                ? WebAdapter.PassThrough(body)
                : new HttpRequestMessage(HttpMethod.Post, "/events") { Content = TestService.RawJson(body) });

            var known = key is TestService.ReadKey or TestService.ReserveKey;
            Assert.Equal(known ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(known ? "forbidden" : "unauthorized", (await TestService.ReadJsonAsync(response)).GetProperty("code").GetString());
            Assert.Equal([""], await EventsTests.BatchFailuresAsync(response));
        }

        Assert.Equal(10, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        Assert.Null(await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None));
    }

    [Fact]
    public async Task With_the_admin_key_events_are_handled_as_on_Lambda()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var admin = service.Client();

        var batch = await admin.PostAsync("/events", TestService.RawJson(EventsTests.SqsBatch(EventsTests.ReserveMessage(orderId, (sku, 4)))));
        var sweep = await admin.PostAsync("/events", TestService.RawJson(Sweep));
        var token = await admin.PostAsync("/events", TestService.RawJson(TokenEvent(TestService.ReadKey)));

        Assert.Empty(await EventsTests.BatchFailuresAsync(batch));
        Assert.Equal(6, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        Assert.Equal("expiry-sweep", (await TestService.ReadJsonAsync(sweep)).GetProperty("job").GetString());
        Assert.Equal("reader", (await TestService.ReadJsonAsync(token)).GetProperty("principalId").GetString());
    }

    [Fact]
    public async Task A_browser_request_is_refused_even_with_the_admin_key()
    {
        using var admin = service.Client();
        var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(Sweep, System.Text.Encoding.UTF8, "text/plain") };

        var textPlain = await admin.SendAsync(request);
        var fromPage = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = TestService.RawJson(Sweep) };
        fromPage.Headers.TryAddWithoutValidation("Origin", "https://shop.example"); // even an origin the API allows
        var withOrigin = await admin.SendAsync(fromPage);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, textPlain.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withOrigin.StatusCode);
        Assert.Equal([""], await EventsTests.BatchFailuresAsync(textPlain));
        Assert.Equal([""], await EventsTests.BatchFailuresAsync(withOrigin));
    }
}

public class EventsDatabaseDownTests(DatabaseDownService service) : IClassFixture<DatabaseDownService>
{
    [Fact]
    public async Task Messages_stay_on_the_queue_when_the_database_is_unreachable()
    {
        // A local call: outside the Lambda Web Adapter, /events takes the admin key (configured: the key table is down too).
        using var runtime = service.Client();
        var batch = """{"Records":[{"messageId":"a","body":"{\"type\":\"ReserveInventory\",\"order_id\":\"o-1\",\"items\":[{\"sku\":\"s\",\"quantity\":1}]}"}]}""";

        var response = await runtime.PostAsync("/events", TestService.RawJson(batch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var failures = (await TestService.ReadJsonAsync(response)).GetProperty("batchItemFailures");
        Assert.Equal("a", failures[0].GetProperty("itemIdentifier").GetString());

        var sweep = await runtime.PostAsync("/events", TestService.RawJson("""{"detail-type":"Scheduled Event","detail":{"job":"expiry-sweep"}}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, sweep.StatusCode);
        Assert.Equal("application/json", sweep.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>Holds last one second by default, so a hold taken without ttl_seconds (as the order service's are) expires within a test.</summary>
public sealed class ShortHoldService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Inventory:DefaultReservationTtlSeconds=1"];
}

public class EventsAfterExpiryTests(ShortHoldService service) : IClassFixture<ShortHoldService>
{
    [Fact]
    public async Task A_message_for_an_order_whose_hold_expired_is_refused_and_holds_nothing()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var orderId = Guid.NewGuid().ToString();
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = orderId })).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(
            async () => (await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/{orderId}"))).GetProperty("status").GetString() == "EXPIRED",
            "the sweep expires the hold");

        using var runtime = service.Client(); // outside the Web Adapter, /events takes the admin key
        var body = JsonSerializer.Serialize(new
        {
            type = "ReserveInventory", order_id = orderId, customer_id = "customer-7",
            items = new[] { new { sku, quantity = 3 } },
        });
        var response = await runtime.PostAsync("/events", TestService.RawJson(JsonSerializer.Serialize(new { Records = new[] { new { messageId = "m0", body } } })));
        Assert.Empty((await TestService.ReadJsonAsync(response)).GetProperty("batchItemFailures").EnumerateArray());

        var record = (await service.Get<ProcessedOrders>().GetAsync(orderId, CancellationToken.None))!;
        var outcome = JsonDocument.Parse(record.OutcomeEventJson).RootElement;
        Assert.Equal("InventoryReservationFailed", outcome.GetProperty("type").GetString());
        Assert.Equal("reservation_ended", outcome.GetProperty("reason").GetString());
        Assert.Equal("EXPIRED", outcome.GetProperty("items")[0].GetProperty("reservation_status").GetString());
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(0, inventory.GetProperty("reserved_count").GetInt64());
        Assert.Equal(10, inventory.GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }
}
