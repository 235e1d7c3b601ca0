using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The API Gateway TOKEN authorizer, sent exactly as the Lambda Web Adapter forwards a non-HTTP event
/// (<see cref="WebAdapter.PassThrough"/>) to a service that runs behind it.
/// </summary>
public class AuthorizerTests(WebAdapterService service) : IClassFixture<WebAdapterService>
{
    private const string ApiPrefix = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod";

    private async Task<JsonElement> AuthorizeAsync(string? token, string methodArn = ApiPrefix + "/GET/inventory/demo-mug")
    {
        using var runtime = service.Client(apiKey: null);
        var request = WebAdapter.PassThrough(JsonSerializer.Serialize(new { type = "TOKEN", authorizationToken = token, methodArn }), "inventory-authorizer");
        var response = await runtime.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await TestService.ReadJsonAsync(response);
    }

    /// <summary>The first statement's effect and resources (the allow, or the deny of a refused key).</summary>
    private static (string Effect, List<string> Resources) Statement(JsonElement answer) => Statements(answer)[0];

    private static List<(string Effect, List<string> Resources)> Statements(JsonElement answer)
    {
        var policy = answer.GetProperty("policyDocument");
        Assert.Equal("2012-10-17", policy.GetProperty("Version").GetString());
        var statements = policy.GetProperty("Statement").EnumerateArray().ToList();
        Assert.All(statements, s => Assert.Equal("execute-api:Invoke", s.GetProperty("Action").GetString()));
        return statements.Select(s => (s.GetProperty("Effect").GetString()!, s.GetProperty("Resource").EnumerateArray().Select(r => r.GetString()!).ToList())).ToList();
    }

    [Fact]
    public async Task A_read_key_is_allowed_exactly_the_read_routes_whatever_route_was_called()
    {
        var answer = await AuthorizeAsync(TestService.ReadKey, ApiPrefix + "/PUT/inventory/x");

        var (effect, resources) = Statement(answer);
        Assert.Equal("Allow", effect);
        Assert.Equal("reader", answer.GetProperty("principalId").GetString());
        Assert.Equal("Read", answer.GetProperty("context").GetProperty("scope").GetString());
        Assert.Equal("reader", answer.GetProperty("context").GetProperty("key_name").GetString());
        Assert.Equal(
            new HashSet<string> { $"{ApiPrefix}/GET/inventory/*", $"{ApiPrefix}/POST/inventory/check", $"{ApiPrefix}/GET/products", $"{ApiPrefix}/GET/products/*" },
            resources.ToHashSet());

        // GET/inventory/* also matches these nested routes of wider scopes, so they are denied explicitly.
        var deny = Statements(answer).Single(s => s.Effect == "Deny").Resources;
        Assert.Equal(
            new HashSet<string> { $"{ApiPrefix}/GET/inventory/*/history", $"{ApiPrefix}/GET/inventory/*/hot", $"{ApiPrefix}/GET/inventory/*/reservations", $"{ApiPrefix}/GET/inventory/*/reserve/*" },
            deny.ToHashSet());
    }

    [Fact]
    public async Task Wider_scopes_add_their_routes_and_keep_the_narrower_ones()
    {
        var (_, reserve) = Statement(await AuthorizeAsync(TestService.ReserveKey));
        var adminAnswer = Statements(await AuthorizeAsync(TestService.AdminKey));
        var admin = Assert.Single(adminAnswer).Resources;

        Assert.Contains($"{ApiPrefix}/POST/inventory/*/reserve", reserve);
        Assert.Contains($"{ApiPrefix}/DELETE/inventory/*/reserve/*", reserve);
        Assert.Contains($"{ApiPrefix}/POST/orders/*/fulfil", reserve);
        Assert.Contains($"{ApiPrefix}/GET/inventory/*", reserve);
        Assert.DoesNotContain($"{ApiPrefix}/PUT/inventory/*", reserve);
        Assert.DoesNotContain(reserve, r => r.Contains("/admin/", StringComparison.Ordinal));

        Assert.Contains($"{ApiPrefix}/PUT/inventory/*", admin);
        Assert.Contains($"{ApiPrefix}/POST/admin/keys", admin);
        Assert.Contains($"{ApiPrefix}/DELETE/admin/keys/*", admin);
        Assert.Superset(reserve.ToHashSet(), admin.ToHashSet());
        Assert.DoesNotContain(admin, r => r.Contains("/events", StringComparison.Ordinal) || r.Contains("/health", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("no-such-key")]
    [InlineData("")]
    [InlineData(null)]
    public async Task Unknown_or_missing_keys_are_denied_everywhere(string? token)
    {
        var answer = await AuthorizeAsync(token);

        var (effect, resources) = Assert.Single(Statements(answer));
        Assert.Equal("Deny", effect);
        Assert.Equal([$"{ApiPrefix}/*"], resources);
        Assert.Equal("unknown", answer.GetProperty("principalId").GetString());
    }

    [Fact]
    public async Task A_revoked_key_is_denied()
    {
        using var admin = service.Client();
        var created = await TestService.ReadJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "leaked", scope = "Admin" }));
        var secret = created.GetProperty("key").GetString()!;
        Assert.Equal("Allow", Statement(await AuthorizeAsync(secret)).Effect);

        (await admin.DeleteAsync($"/admin/keys/{created.GetProperty("key_id").GetString()}")).EnsureSuccessStatusCode();

        Assert.Equal("Deny", Statement(await AuthorizeAsync(secret)).Effect);
    }

    [Theory]
    [InlineData("not-an-arn")]
    [InlineData("arn:aws:execute-api:eu-west-1:123:a1b2/prod/GET/x")]
    [InlineData("")]
    public async Task A_malformed_method_arn_is_denied_without_looking_at_the_key(string methodArn)
    {
        var (effect, resources) = Statement(await AuthorizeAsync(TestService.AdminKey, methodArn));

        Assert.Equal("Deny", effect);
        Assert.Equal(["*"], resources);
    }
}

/// <summary>On AWS the authorizer names each scope's usage-plan key, so API Gateway meters the request against that plan.</summary>
public sealed class UsagePlanKeysService : WebAdapterService
{
    protected override IEnumerable<string> ExtraArgs =>
        [.. base.ExtraArgs, "--ApiKeys:UsageIdentifierKeys:Read=tier-read-0123", "--ApiKeys:UsageIdentifierKeys:Admin=tier-admin-4567"];
}

public class UsagePlanKeyTests(UsagePlanKeysService service) : IClassFixture<UsagePlanKeysService>
{
    [Theory]
    [InlineData(TestService.ReadKey, "tier-read-0123")]
    [InlineData(TestService.AdminKey, "tier-admin-4567")]
    [InlineData(TestService.ReserveKey, null)]
    [InlineData("unknown", null)]
    public async Task The_usage_identifier_key_is_the_one_of_the_keys_scope(string token, string? usageKey)
    {
        using var runtime = service.Client(apiKey: null);
        var answer = await TestService.ReadJsonAsync(await runtime.SendAsync(WebAdapter.PassThrough(JsonSerializer.Serialize(new
        {
            type = "TOKEN", authorizationToken = token, methodArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/inventory/x",
        }), "inventory-authorizer")));

        Assert.Equal(usageKey, answer.TryGetProperty("usageIdentifierKey", out var key) ? key.GetString() : null);
    }
}
