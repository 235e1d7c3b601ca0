using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Lambda;

/// <summary>
/// Each function of the Lambda package, driven with the exact requests the Lambda Web Adapter makes of it: an API
/// Gateway REST request (with its request context), an SQS batch, an EventBridge schedule and a TOKEN authorizer
/// event (the last three posted to the pass-through path with x-amzn-request-context: null). Afterwards every
/// DynamoDB call the function made must be granted to it in deploy/functions.json.
/// </summary>
public class PackagedFunctionTests(PackagedFunctions lambda) : IClassFixture<PackagedFunctions>
{
    private const string ApiId = "a1b2c3d4e5";

    /// <summary>An API Gateway REST request as the adapter forwards it to the app, after the authorizer allowed it.</summary>
    private static HttpRequestMessage ViaApiGateway(HttpMethod method, string path, string key, string keyName, string scope, string? json = null, string? requestId = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        request.Headers.Host = $"{ApiId}.execute-api.eu-west-1.amazonaws.com";
        request.Headers.TryAddWithoutValidation("x-api-key", key);
        request.Headers.TryAddWithoutValidation("x-forwarded-for", "203.0.113.9");
        request.Headers.TryAddWithoutValidation("x-forwarded-proto", "https");
        request.Headers.TryAddWithoutValidation("x-amzn-request-context", JsonSerializer.Serialize(new
        {
            resourceId = "r1x2",
            resourcePath = path,
            httpMethod = method.Method,
            requestId = requestId ?? Guid.NewGuid().ToString(),
            path = "/prod" + path,
            accountId = "123456789012",
            stage = "prod",
            apiId = ApiId,
            domainName = $"{ApiId}.execute-api.eu-west-1.amazonaws.com",
            identity = new { sourceIp = "203.0.113.9", userAgent = "shop-backend/1.0", apiKeyId = (string?)null },
            authorizer = new { principalId = keyName, key_name = keyName, scope, integrationLatency = 11 },
        }));
        request.Headers.TryAddWithoutValidation("x-amzn-lambda-context", LambdaContext("inventory-api"));
        return request;
    }

    /// <summary>A non-HTTP event as the adapter forwards it: POST to the pass-through path, JSON, request context null.</summary>
    private static HttpRequestMessage PassedThrough(string eventJson, string function)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = new StringContent(eventJson, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("x-amzn-request-context", "null");
        request.Headers.TryAddWithoutValidation("x-amzn-lambda-context", LambdaContext($"inventory-{function}"));
        return request;
    }

    private static string LambdaContext(string function) => JsonSerializer.Serialize(new
    {
        request_id = Guid.NewGuid().ToString(),
        deadline = DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds(),
        invoked_function_arn = $"arn:aws:lambda:eu-west-1:123456789012:function:{function}",
        xray_trace_id = "Root=1-6741f000-0123456789abcdef01234567",
    });

    private async Task<string> CreateProductAsync(long stock)
    {
        var admin = await lambda.FunctionAsync("admin");
        using var client = admin.Client();
        var sku = "pk-" + Guid.NewGuid().ToString("N")[..10];
        var created = await client.SendAsync(ViaApiGateway(HttpMethod.Post, "/products", PackagedFunctions.AdminKey, "staff", "Admin",
            JsonSerializer.Serialize(new { sku, name = "Packaged " + sku, price = 5.5m, threshold_level = 2 })));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var put = await client.SendAsync(ViaApiGateway(HttpMethod.Put, $"/inventory/{sku}", PackagedFunctions.AdminKey, "staff", "Admin",
            JsonSerializer.Serialize(new { stock_count = stock, expected_version = 1 })));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        AssertOnlyGrantedCalls(admin);
        return sku;
    }

    private void AssertOnlyGrantedCalls(RunningFunction function)
    {
        var granted = lambda.Grants(function.Name);
        var missing = function.Proxy.Calls.Distinct().Where(c => !granted.Contains(c)).ToList();
        Assert.True(missing.Count == 0, $"{function.Name} called DynamoDB without a grant in deploy/functions.json: {string.Join(", ", missing)}");
        Assert.NotEmpty(function.Proxy.Calls);

        // Lambda sets AWS_REGION to the function's own region; a region from anywhere else (a packaged settings file)
        // would send every call to another region's tables, where the role is denied.
        var region = lambda.EnvironmentOf(function.Name)["AWS_REGION"];
        Assert.All(function.Proxy.SigningRegions, r => Assert.Equal(region, r));
        Assert.NotEmpty(function.Proxy.SigningRegions);
    }

    private static async Task<JsonElement> WaitForLogAsync(RunningFunction function, Func<JsonElement, bool> match)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            foreach (var line in function.Logs)
            {
                if (line.StartsWith('{') && JsonDocument.Parse(line).RootElement is var entry && match(entry))
                {
                    return entry.Clone();
                }
            }

            await Task.Delay(20);
        }

        Assert.Fail($"No matching log line from {function.Name}:\n{string.Join('\n', function.Logs)}");
        return default;
    }

    [Fact]
    public async Task The_read_function_answers_a_REST_request_and_logs_it_as_one_JSON_line_without_the_key()
    {
        var sku = await CreateProductAsync(stock: 7);
        var read = await lambda.FunctionAsync("read");
        using var client = read.Client();
        var requestId = "apigw-" + Guid.NewGuid().ToString("N")[..8];

        var response = await client.SendAsync(ViaApiGateway(HttpMethod.Get, $"/inventory/{sku}", PackagedFunctions.ReadKey, "storefront", "Read", requestId: requestId));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7, (await TestService.ReadJsonAsync(response)).GetProperty("available_count").GetInt64());
        var entry = await WaitForLogAsync(read, e => e.TryGetProperty("State", out var s) && s.TryGetProperty("RequestId", out var id) && id.GetString() == requestId);
        var state = entry.GetProperty("State");
        Assert.Equal("/inventory/{productId}", state.GetProperty("Route").GetString());
        Assert.Equal("storefront", state.GetProperty("KeyName").GetString());
        Assert.Equal(200, state.GetProperty("Status").GetInt32());
        Assert.True(state.GetProperty("LatencyMs").GetDouble() >= 0);
        Assert.DoesNotContain(read.Logs, l => l.Contains(PackagedFunctions.ReadKey, StringComparison.Ordinal));
        Assert.All(read.Logs.Where(l => l.Length > 0), l => Assert.StartsWith("{", l));

        // The read function's grants hold no write action at all.
        Assert.DoesNotContain(lambda.Grants("read"), g => g.Action is not ("dynamodb:GetItem" or "dynamodb:Query" or "dynamodb:Scan" or "dynamodb:BatchGetItem"));
        AssertOnlyGrantedCalls(read);
    }

    [Fact]
    public async Task The_reserve_function_holds_releases_and_sells_and_logs_the_outcome_of_a_refusal()
    {
        var sku = await CreateProductAsync(stock: 5);
        var reserve = await lambda.FunctionAsync("reserve");
        using var client = reserve.Client();

        var held = await client.SendAsync(ViaApiGateway(HttpMethod.Post, $"/inventory/{sku}/reserve", PackagedFunctions.ReserveKey, "platform", "Reserve",
            """{"quantity":2,"reservation_id":"cart-1"}"""));
        Assert.Equal(HttpStatusCode.Created, held.StatusCode);
        var refused = await client.SendAsync(ViaApiGateway(HttpMethod.Post, $"/inventory/{sku}/reserve", PackagedFunctions.ReserveKey, "platform", "Reserve",
            """{"quantity":9,"reservation_id":"cart-2"}"""));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var released = await client.SendAsync(ViaApiGateway(HttpMethod.Delete, $"/inventory/{sku}/reserve/cart-1", PackagedFunctions.ReserveKey, "platform", "Reserve"));
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        var sold = await client.SendAsync(ViaApiGateway(HttpMethod.Post, "/orders/o-" + sku + "/fulfil", PackagedFunctions.ReserveKey, "platform", "Reserve",
            JsonSerializer.Serialize(new { lines = new[] { new { product_id = sku, quantity = 1 } } })));
        Assert.Equal(HttpStatusCode.OK, sold.StatusCode);

        var entry = await WaitForLogAsync(reserve, e => e.GetProperty("State").TryGetProperty("Outcome", out var o) && o.GetString() == "insufficient_stock");
        Assert.Equal(sku, entry.GetProperty("State").GetProperty("ProductId").GetString());
        Assert.Equal(409, entry.GetProperty("State").GetProperty("Status").GetInt32());
        AssertOnlyGrantedCalls(reserve);
    }

    [Fact]
    public async Task The_queue_function_answers_an_SQS_batch_with_a_batch_response()
    {
        var sku = await CreateProductAsync(stock: 4);
        var queue = await lambda.FunctionAsync("queue");
        using var client = queue.Client();
        var orderId = Guid.NewGuid().ToString();
        var message = JsonSerializer.Serialize(new { type = "ReserveInventory", order_id = orderId, customer_id = "c-1", items = new[] { new { sku, quantity = 3 } }, timestamp = "2026-11-23T10:00:00Z" });
        var batch = JsonSerializer.Serialize(new
        {
            Records = new[]
            {
                new
                {
                    messageId = "059f36b4-87a3-44ab-83d2-661975830a7d", receiptHandle = "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a", body = message,
                    attributes = new { ApproximateReceiveCount = "1", SentTimestamp = "1764000000000", SenderId = "AIDAIENQZJOLO23YVJ4VO", ApproximateFirstReceiveTimestamp = "1764000000001" },
                    messageAttributes = new { }, md5OfBody = "e4e68fb7bd0e697a0ae8f1bb342846b3", eventSource = "aws:sqs",
                    eventSourceARN = "arn:aws:sqs:eu-west-1:123456789012:IMS-InventoryQueue", awsRegion = "eu-west-1",
                },
            },
        });

        var response = await client.SendAsync(PassedThrough(batch, "queue"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty((await TestService.ReadJsonAsync(response)).GetProperty("batchItemFailures").EnumerateArray());
        AssertOnlyGrantedCalls(queue);
    }

    [Fact]
    public async Task The_stream_function_turns_a_change_batch_into_a_history_entry_the_stored_status_and_one_alert_even_when_redelivered()
    {
        var sku = await CreateProductAsync(stock: 4); // no stream runs here: the row still stores the status it was created with
        var stream = await lambda.FunctionAsync("stream");
        using var client = stream.Client();
        object Image(long stock, long move, string kind) => new Dictionary<string, object>
        {
            ["product_id"] = new { S = sku }, ["warehouse_id"] = new { S = "main" },
            ["stock_count"] = new { N = stock.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ["reserved_count"] = new { N = "0" },
            ["available_count"] = new { N = stock.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ["threshold_level"] = new { N = "2" },
            ["status"] = new { S = "OUT_OF_STOCK" }, ["last_updated"] = new { S = "2026-11-23T10:00:00.000Z" }, ["version"] = new { N = "2" },
            ["move_seq"] = new { N = move.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["last_move"] = new { M = new { kind = new { S = kind }, by = new { S = "staff" } } },
        };
        var batch = JsonSerializer.Serialize(new
        {
            Records = new[]
            {
                new
                {
                    eventID = "c4ca4238a0b923820dcc509a6f75849b", eventName = "MODIFY", eventVersion = "1.1", eventSource = "aws:dynamodb", awsRegion = "eu-west-1",
                    dynamodb = new
                    {
                        ApproximateCreationDateTime = 1764000000, Keys = new { product_id = new { S = sku }, warehouse_id = new { S = "main" } },
                        OldImage = Image(0, 1, "CREATE"), NewImage = Image(4, 2, "SET"), SequenceNumber = "111000000000000000000001", SizeBytes = 200, StreamViewType = "NEW_AND_OLD_IMAGES",
                    },
                    eventSourceARN = $"arn:aws:dynamodb:eu-west-1:123456789012:table/{lambda.TableName("inventory")}/stream/2026-11-23T00:00:00.000",
                },
            },
        });

        foreach (var delivery in new[] { "first", "redelivered" })
        {
            var response = await client.SendAsync(PassedThrough(batch, "stream"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty((await TestService.ReadJsonAsync(response)).GetProperty("batchItemFailures").EnumerateArray());
        }

        var admin = await lambda.FunctionAsync("admin");
        using var adminClient = admin.Client();
        var alerts = await adminClient.SendAsync(ViaApiGateway(HttpMethod.Get, "/admin/alerts?limit=100", PackagedFunctions.AdminKey, "staff", "Admin"));
        var mine = (await TestService.ReadJsonAsync(alerts)).GetProperty("items").EnumerateArray().Where(a => a.GetProperty("product_id").GetString() == sku).ToList();
        var alert = Assert.Single(mine);
        Assert.Equal("OUT_OF_STOCK", alert.GetProperty("old_status").GetString());
        Assert.Equal("IN_STOCK", alert.GetProperty("new_status").GetString());

        // One entry, however often the record came: the write's move, its attribution and both images' counts.
        var history = await adminClient.SendAsync(ViaApiGateway(HttpMethod.Get, $"/inventory/{sku}/history", PackagedFunctions.AdminKey, "staff", "Admin"));
        var entry = Assert.Single((await TestService.ReadJsonAsync(history)).GetProperty("items").EnumerateArray());
        Assert.Equal((2, "SET", 4, "staff", 0, 4), (entry.GetProperty("sequence").GetInt64(), entry.GetProperty("kind").GetString(), entry.GetProperty("quantity").GetInt64(),
            entry.GetProperty("by").GetString(), entry.GetProperty("before").GetProperty("stock_count").GetInt64(), entry.GetProperty("after").GetProperty("stock_count").GetInt64()));
        AssertOnlyGrantedCalls(stream);
        AssertOnlyGrantedCalls(admin);
    }

    [Fact]
    public async Task The_jobs_function_runs_both_schedules()
    {
        var jobs = await lambda.FunctionAsync("jobs");
        using var client = jobs.Client();
        foreach (var job in new[] { "expiry-sweep", "threshold-check" })
        {
            var schedule = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["version"] = "0", ["id"] = Guid.NewGuid().ToString(), ["detail-type"] = "Scheduled Event", ["source"] = "aws.events",
                ["account"] = "123456789012", ["time"] = "2026-11-23T10:00:00Z", ["region"] = "eu-west-1",
                ["resources"] = new[] { $"arn:aws:events:eu-west-1:123456789012:rule/inventory-{job}" }, ["detail"] = new { },
            });

            var response = await client.SendAsync(PassedThrough(schedule, "jobs"));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(job, (await TestService.ReadJsonAsync(response)).GetProperty("job").GetString());
        }

        AssertOnlyGrantedCalls(jobs);
    }

    [Theory]
    [InlineData(PackagedFunctions.ReadKey, "Allow")]
    [InlineData(PackagedFunctions.AdminKey, "Allow")]
    [InlineData("ik_not-a-key", "Deny")]
    public async Task The_authorizer_function_answers_a_TOKEN_event_with_a_policy(string token, string effect)
    {
        var authorizer = await lambda.FunctionAsync("authorizer");
        using var client = authorizer.Client();
        var tokenEvent = JsonSerializer.Serialize(new { type = "TOKEN", authorizationToken = token, methodArn = $"arn:aws:execute-api:eu-west-1:123456789012:{ApiId}/prod/GET/inventory/demo-mug" });

        var response = await client.SendAsync(PassedThrough(tokenEvent, "authorizer"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var statement = (await TestService.ReadJsonAsync(response)).GetProperty("policyDocument").GetProperty("Statement")[0];
        Assert.Equal(effect, statement.GetProperty("Effect").GetString());
        AssertOnlyGrantedCalls(authorizer);
    }

    [Fact]
    public async Task The_outbox_function_turns_a_pipes_batch_into_the_messages_and_reads_nothing()
    {
        var outbox = await lambda.FunctionAsync("outbox");
        using var client = outbox.Client();
        var outcome = JsonSerializer.Serialize(new { type = "InventoryReservationFailed", order_id = "o-1", reason = "insufficient_stock", items = new[] { new { sku = "s-1", quantity = 2 } } });
        var batch = JsonSerializer.Serialize(new[]
        {
            new
            {
                eventID = "e1", eventName = "INSERT", eventVersion = "1.1", eventSource = "aws:dynamodb", awsRegion = "eu-west-1",
                eventSourceARN = $"arn:aws:dynamodb:eu-west-1:123456789012:table/{lambda.TableName("processed_orders")}/stream/2026-11-20T08:00:00.000",
                dynamodb = new { SequenceNumber = "4021600000000012345678901", NewImage = new Dictionary<string, object> { ["order_id"] = new { S = "o-1" }, ["outcome_event"] = new { S = outcome } } },
            },
        });

        var response = await client.SendAsync(PassedThrough(batch, "outbox"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var messages = await TestService.ReadJsonAsync(response);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(outcome), System.Text.Json.Nodes.JsonNode.Parse(messages.EnumerateArray().Single().GetRawText())));
        Assert.Empty(outbox.Proxy.Calls);
    }
}
