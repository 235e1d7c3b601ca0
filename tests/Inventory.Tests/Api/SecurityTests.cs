using System.Net;
using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

public class SecurityTests(TestService service) : IClassFixture<TestService>
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong-key")]
    [InlineData("test-read-keyX")]
    [InlineData("TEST-READ-KEY")]
    public async Task Missing_or_unknown_keys_are_401_problems(string? key)
    {
        using var client = service.Client(apiKey: null);
        var request = new HttpRequestMessage(HttpMethod.Get, "/inventory/anything");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", key);
        }

        await TestService.AssertProblemAsync(await client.SendAsync(request), 401, "unauthorized");
    }

    [Fact]
    public async Task Scopes_are_enforced_with_403_and_change_nothing()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var reader = service.Client(TestService.ReadKey);
        using var platform = service.Client(TestService.ReserveKey);

        await TestService.AssertProblemAsync(
            await reader.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "r" }), 403, "forbidden");
        await TestService.AssertProblemAsync(
            await platform.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 0, expected_version = 2 }), 403, "forbidden");
        await TestService.AssertProblemAsync(
            await reader.PostAsJsonAsync("/products", new { sku = "x", name = "x", price = 1 }), 403, "forbidden");
        await TestService.AssertProblemAsync(await reader.GetAsync("/inventory"), 403, "forbidden");

        // Scopes are cumulative: a reserve key can read.
        Assert.Equal(HttpStatusCode.OK, (await platform.GetAsync($"/inventory/{sku}")).StatusCode);
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(5, inventory.GetProperty("available_count").GetInt64());
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        using var anonymous = service.Client(apiKey: null);
        var response = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("healthy", (await TestService.ReadJsonAsync(response)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cors_allows_configured_origins_only()
    {
        using var anonymous = service.Client(apiKey: null);

        var allowed = new HttpRequestMessage(HttpMethod.Options, "/inventory/some-sku");
        allowed.Headers.Add("Origin", "https://shop.example");
        allowed.Headers.Add("Access-Control-Request-Method", "GET");
        allowed.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        var ok = await anonymous.SendAsync(allowed);
        Assert.Equal("https://shop.example", ok.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("x-api-key", string.Join(",", ok.Headers.GetValues("Access-Control-Allow-Headers")));

        var foreign = new HttpRequestMessage(HttpMethod.Options, "/inventory/some-sku");
        foreign.Headers.Add("Origin", "https://evil.example");
        foreign.Headers.Add("Access-Control-Request-Method", "GET");
        var refused = await anonymous.SendAsync(foreign);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_with_problem_json()
    {
        using var admin = service.Client();
        var missing = await admin.GetAsync("/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        var wrongMethod = await admin.PatchAsync("/inventory/x", TestService.RawJson("{}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_and_docs_page_are_served()
    {
        using var anonymous = service.Client(apiKey: null);
        var document = await TestService.ReadJsonAsync(await anonymous.GetAsync("/openapi/v1.json"));
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/inventory/{productId}/reserve", out _));
        Assert.True(paths.TryGetProperty("/orders/{orderId}/fulfil", out _));
        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.GetProperty("ReserveRequest").GetProperty("properties").TryGetProperty("reservation_id", out _));

        var docs = await anonymous.GetAsync("/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }
}

/// <summary>A service with a tiny per-key budget, to see the limiter answer.</summary>
public sealed class RateLimitedService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--RateLimiting:PermitsPerSecond=1", "--RateLimiting:Burst=3"];
}

public class RateLimitTests(RateLimitedService service) : IClassFixture<RateLimitedService>
{
    [Fact]
    public async Task A_key_over_its_budget_gets_429_with_retry_after_while_other_keys_are_unaffected()
    {
        using var reader = service.Client(TestService.ReadKey);
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            responses.Add(await reader.GetAsync("/inventory/anything"));
        }

        var limited = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests) >= 5);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await TestService.AssertProblemAsync(limited, 429, "rate_limited");

        using var admin = service.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/inventory/anything")).StatusCode);
    }
}

/// <summary>A service whose database is not there.</summary>
public sealed class DatabaseDownService : TestService
{
    // Keys from configuration: with the key table unreachable too, no request would get as far as the database.
    protected override IEnumerable<string> ExtraArgs => ["--Storage:CreateTables=false", "--Storage:ApiKeysTable="];

    protected override void OverrideServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Amazon.DynamoDBv2.IAmazonDynamoDB>(
            services,
            _ => new Amazon.DynamoDBv2.AmazonDynamoDBClient(
                new Amazon.Runtime.BasicAWSCredentials("local", "local"),
                new Amazon.DynamoDBv2.AmazonDynamoDBConfig { ServiceURL = "http://127.0.0.1:9", AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 }));
}

public class DatabaseDownTests(DatabaseDownService service) : IClassFixture<DatabaseDownService>
{
    [Fact]
    public async Task Health_is_503_and_requests_get_a_503_problem_not_a_500()
    {
        using var anonymous = service.Client(apiKey: null);
        var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);

        using var reader = service.Client(TestService.ReadKey);
        var response = await reader.GetAsync("/inventory/anything");
        await TestService.AssertProblemAsync(response, 503, "storage_unavailable");
        Assert.True(response.Headers.Contains("Retry-After"));
    }
}
