using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Api;

/// <summary>Keys kept as hashed records in DynamoDB: created, used, listed and revoked without a redeploy.</summary>
public class ApiKeyTests(TestService service) : IClassFixture<TestService>
{
    private async Task<(string KeyId, string Secret)> CreateKeyAsync(string name, string scope)
    {
        using var admin = service.Client();
        var response = await admin.PostAsJsonAsync("/admin/keys", new { name, scope });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await TestService.ReadJsonAsync(response);
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal(scope, created.GetProperty("scope").GetString());
        var keyId = created.GetProperty("key_id").GetString()!;
        Assert.Equal($"/admin/keys/{keyId}", response.Headers.Location?.OriginalString);
        return (keyId, created.GetProperty("key").GetString()!);
    }

    [Fact]
    public async Task A_created_key_works_with_its_scope_at_once_and_only_its_hash_is_stored()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        var (keyId, secret) = await CreateKeyAsync("storefront-eu", "Read");
        Assert.StartsWith("ik_", secret);
        Assert.True(secret.Length >= 40);

        using var storefront = service.Client(secret);
        Assert.Equal(HttpStatusCode.OK, (await storefront.GetAsync($"/inventory/{sku}")).StatusCode);
        await TestService.AssertProblemAsync(
            await storefront.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "r1" }), 403, "forbidden");

        var item = (await service.Dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = service.Get<IOptions<StorageOptions>>().Value.ApiKeysTable,
            Key = new() { ["key_id"] = new AttributeValue { S = keyId } },
            ConsistentRead = true,
        })).Item;
        Assert.Equal("storefront-eu", item["name"].S);
        Assert.DoesNotContain(item.Values, v => v.S is { } text && text.Contains(secret[3..], StringComparison.Ordinal));
        Assert.Equal(64, item["key_hash"].S.Length);
    }

    [Fact]
    public async Task The_listing_shows_every_key_without_secrets_including_the_seeded_configuration_keys()
    {
        var (keyId, secret) = await CreateKeyAsync("backend-1", "Reserve");
        using var admin = service.Client();

        var text = await admin.GetStringAsync("/admin/keys");

        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain(TestService.AdminKey, text);
        var keys = JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray().ToList();
        var listed = keys.Single(k => k.GetProperty("key_id").GetString() == keyId);
        Assert.True(listed.GetProperty("active").GetBoolean());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("revoked_at").ValueKind);
        Assert.False(listed.TryGetProperty("key", out _));
        Assert.Contains(keys, k => k.GetProperty("name").GetString() == "admin" && k.GetProperty("scope").GetString() == "Admin");
    }

    [Fact]
    public async Task A_revoked_key_stops_working_and_a_second_revocation_answers_the_first()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        var (keyId, secret) = await CreateKeyAsync("old-backend", "Reserve");
        using var backend = service.Client(secret);
        Assert.Equal(HttpStatusCode.OK, (await backend.GetAsync($"/inventory/{sku}")).StatusCode);

        using var admin = service.Client();
        var first = await TestService.ReadJsonAsync(await admin.DeleteAsync($"/admin/keys/{keyId}"));
        Assert.False(first.GetProperty("active").GetBoolean());
        var again = await admin.DeleteAsync($"/admin/keys/{keyId}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.GetProperty("revoked_at").GetString(), (await TestService.ReadJsonAsync(again)).GetProperty("revoked_at").GetString());

        await TestService.AssertProblemAsync(await backend.GetAsync($"/inventory/{sku}"), 401, "unauthorized");
    }

    [Theory]
    [InlineData("""{"name":"x","scope":"Owner"}""", "scope")]
    [InlineData("""{"name":"x","scope":"read"}""", "scope")]
    [InlineData("""{"name":"x","scope":"3"}""", "scope")]
    [InlineData("""{"name":"x"}""", "scope")]
    [InlineData("""{"name":"x","scope":"Read,Reserve"}""", "scope")] // flags: Read|Reserve is 3, which Enum.Parse calls Admin
    [InlineData("""{"name":"x","scope":"Read, Reserve"}""", "scope")]
    [InlineData("""{"name":"x","scope":" Admin"}""", "scope")]
    [InlineData("""{"name":"x","scope":"Admin\n"}""", "scope")]
    [InlineData("""{"name":"","scope":"Read"}""", "name")]
    [InlineData("""{"scope":"Read"}""", "name")]
    public async Task Invalid_key_requests_are_400_and_create_nothing(string body, string field)
    {
        using var admin = service.Client();
        var before = (await TestService.ReadJsonAsync(await admin.GetAsync("/admin/keys"))).GetProperty("items").GetArrayLength();

        var problem = await TestService.AssertProblemAsync(await admin.PostAsync("/admin/keys", TestService.RawJson(body)), 400, "validation_failed");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, (await TestService.ReadJsonAsync(await admin.GetAsync("/admin/keys"))).GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("Read,Reserve")]
    [InlineData(" Admin")]
    [InlineData("admin")]
    [InlineData("3")]
    public async Task A_stored_key_whose_scope_is_not_exactly_a_scope_name_is_refused_and_listed_without_a_scope(string storedScope)
    {
        var secret = "hand-written-" + Guid.NewGuid().ToString("N");
        var hash = Inventory.Api.Security.ApiKeyRecord.HashOf(secret);
        var keyId = Inventory.Api.Security.ApiKeyRecord.IdOf(hash);
        await service.Dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = service.Get<IOptions<StorageOptions>>().Value.ApiKeysTable,
            Item = new()
            {
                ["key_id"] = new AttributeValue { S = keyId },
                ["key_hash"] = new AttributeValue { S = hash },
                ["name"] = new AttributeValue { S = "by-hand" },
                ["scope"] = new AttributeValue { S = storedScope },
                ["created_at"] = new AttributeValue { S = "2026-11-22T10:00:00.000Z" },
            },
        });

        using var handWritten = service.Client(secret);
        await TestService.AssertProblemAsync(await handWritten.GetAsync("/admin/keys"), 401, "unauthorized");

        using var admin = service.Client();
        var listed = (await TestService.ReadJsonAsync(await admin.GetAsync("/admin/keys"))).GetProperty("items").EnumerateArray()
            .Single(k => k.GetProperty("key_id").GetString() == keyId);
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("scope").ValueKind);
    }

    [Fact]
    public async Task Only_admins_manage_keys_and_unknown_ids_are_404()
    {
        using var platform = service.Client(TestService.ReserveKey);
        await TestService.AssertProblemAsync(await platform.PostAsJsonAsync("/admin/keys", new { name = "mine", scope = "Admin" }), 403, "forbidden");
        await TestService.AssertProblemAsync(await platform.GetAsync("/admin/keys"), 403, "forbidden");

        using var admin = service.Client();
        await TestService.AssertProblemAsync(await admin.DeleteAsync("/admin/keys/0123456789abcdef"), 404, "api_key_not_found");
    }
}

/// <summary>Without a key table, the keys in configuration are the keys, and the key API says it cannot manage them.</summary>
public sealed class ConfiguredKeysService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Storage:ApiKeysTable="];
}

public class ConfiguredKeysTests(ConfiguredKeysService service) : IClassFixture<ConfiguredKeysService>
{
    [Fact]
    public async Task Configuration_keys_work_and_key_management_is_a_409()
    {
        var sku = await service.CreateProductAsync(stock: 3);
        Assert.Equal(3, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());

        using var admin = service.Client();
        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/keys"), 409, "api_keys_not_managed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/admin/keys", new { name = "n", scope = "Read" }), 409, "api_keys_not_managed");
    }
}

/// <summary>A configured key's scope is one exact scope name, or the service does not start.</summary>
public class ConfiguredScopeTests
{
    [Theory]
    [InlineData("Read,Reserve")] // flags: Read|Reserve is 3, which the configuration binder would call Admin
    [InlineData(" Admin")]
    [InlineData("admin")]
    [InlineData("3")]
    [InlineData("")]
    public async Task A_configured_key_without_one_exact_scope_is_a_start_up_error(string scope)
    {
        string[] args =
        [
            "--environment=Testing", "--urls=http://127.0.0.1:0", "--Storage:ApiKeysTable=",
            "--ApiKeys:Keys:0:Name=typo", "--ApiKeys:Keys:0:Key=typo-key-0123456789", $"--ApiKeys:Keys:0:Scope={scope}",
        ];
        await using var app = await Inventory.Api.InventoryApp.BuildAsync(args);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await Inventory.Api.InventoryApp.PrepareAsync(app);
            await app.StartAsync();
        });

        Assert.Contains("ApiKeys:Keys:0:Scope", failure.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one of Read, Reserve, Admin", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_plan_key_for_a_scope_that_does_not_exist_is_a_start_up_error()
    {
        string[] args = ["--environment=Testing", "--urls=http://127.0.0.1:0", "--Storage:ApiKeysTable=", "--ApiKeys:UsageIdentifierKeys:read=tier-read"];
        await using var app = await Inventory.Api.InventoryApp.BuildAsync(args);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("UsageIdentifierKeys names the scope 'read'", failure.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// The last active admin key cannot be revoked, even by two admins revoking each other's keys at once. Its own
/// fixture: these tests revoke the configured admin key the other classes sign in with.
/// </summary>
public class LastAdminKeyTests(TestService service) : IClassFixture<TestService>
{
    internal static async Task<(string KeyId, string Secret)> CreateAdminKeyAsync(HttpClient admin, string name)
    {
        var created = await TestService.ReadJsonAsync(await admin.PostAsJsonAsync("/admin/keys", new { name, scope = "Admin" }));
        return (created.GetProperty("key_id").GetString()!, created.GetProperty("key").GetString()!);
    }

    internal static async Task<List<JsonElement>> ActiveAdminKeysAsync(HttpClient admin) =>
        (await TestService.ReadJsonAsync(await admin.GetAsync("/admin/keys"))).GetProperty("items").EnumerateArray()
            .Where(k => k.GetProperty("active").GetBoolean() && k.GetProperty("scope").GetString() == "Admin").ToList();

    [Fact]
    public async Task Revoking_the_last_active_admin_key_is_a_409_and_it_keeps_working()
    {
        using var configured = service.Client();
        var configuredId = (await ActiveAdminKeysAsync(configured)).Single().GetProperty("key_id").GetString()!;
        var (secondId, secondSecret) = await CreateAdminKeyAsync(configured, "second-admin");
        using var second = service.Client(secondSecret);

        // With another admin key active, an admin key (here the configured one) can go, and going again answers the same.
        Assert.Equal(HttpStatusCode.OK, (await second.DeleteAsync($"/admin/keys/{configuredId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.DeleteAsync($"/admin/keys/{configuredId}")).StatusCode);

        var problem = await TestService.AssertProblemAsync(await second.DeleteAsync($"/admin/keys/{secondId}"), 409, "last_admin_key");
        Assert.Equal(secondId, problem.GetProperty("key_id").GetString());
        Assert.Contains("Create another admin key first", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal([secondId], (await ActiveAdminKeysAsync(second)).Select(k => k.GetProperty("key_id").GetString()));

        // Keys of other scopes still go as usual.
        var reader = await TestService.ReadJsonAsync(await second.PostAsJsonAsync("/admin/keys", new { name = "reader", scope = "Read" }));
        Assert.Equal(HttpStatusCode.OK, (await second.DeleteAsync($"/admin/keys/{reader.GetProperty("key_id").GetString()}")).StatusCode);
    }

}

/// <summary>Its own fixture, like <see cref="LastAdminKeyTests"/>: it revokes the configured admin key.</summary>
public class MutualRevocationTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Two_admins_revoking_each_others_keys_at_once_leave_one_admin_key()
    {
        // Ten rounds: the surviving key of each round makes the next pair and revokes itself.
        using var configured = service.Client();
        var survivor = (KeyId: (await LastAdminKeyTests.ActiveAdminKeysAsync(configured)).Single().GetProperty("key_id").GetString()!, Secret: TestService.AdminKey);
        for (var round = 0; round < 10; round++)
        {
            using var current = service.Client(survivor.Secret);
            var a = await LastAdminKeyTests.CreateAdminKeyAsync(current, $"a-{round}");
            var b = await LastAdminKeyTests.CreateAdminKeyAsync(current, $"b-{round}");
            using var byA = service.Client(a.Secret);
            using var byB = service.Client(b.Secret);
            Assert.Equal(HttpStatusCode.OK, (await byA.DeleteAsync($"/admin/keys/{survivor.KeyId}")).StatusCode);

            var answers = await Task.WhenAll(byA.DeleteAsync($"/admin/keys/{b.KeyId}"), byB.DeleteAsync($"/admin/keys/{a.KeyId}"));

            // The loser's call is refused as the last admin key's revocation, or as an unknown key if it came second.
            Assert.Single(answers, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Single(answers, r => r.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Unauthorized);
            survivor = answers[0].StatusCode == HttpStatusCode.OK ? a : b;
            using var survivorClient = service.Client(survivor.Secret);
            Assert.Equal([survivor.KeyId], (await LastAdminKeyTests.ActiveAdminKeysAsync(survivorClient)).Select(k => k.GetProperty("key_id").GetString()));
        }
    }
}
