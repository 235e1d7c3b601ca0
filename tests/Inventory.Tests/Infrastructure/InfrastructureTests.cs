using System.Reflection;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Infrastructure;

/// <summary>The service as Lambda runs it: no in-process jobs, so no live alert feed route.</summary>
public sealed class LambdaShapedService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:RunInProcess=false"];
}

/// <summary>The Terraform against the code: routes, tables, settings. (Argument names and references: deploy/terraform-check.)</summary>
public class InfrastructureTests(LambdaShapedService service) : IClassFixture<LambdaShapedService>
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Fact]
    public async Task The_API_routes_file_equals_the_OpenAPI_operations_with_the_scope_each_needs()
    {
        using var anonymous = service.Client(apiKey: null);
        var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json")).RootElement;
        var scopes = service.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (
                Key: $"{m} /{e.RoutePattern.RawText!.Trim('/')}",
                Scope: e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => Policies.ScopeOf(a.Policy)).Max())))
            .Where(r => r.Scope is not null)
            .ToDictionary(r => r.Key.TrimEnd('/'), r => r.Scope!.Value.ToString());
        var expected = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => new { method = op.Name.ToUpperInvariant(), path = path.Name }))
            .Where(r => r.path != "/health" && r.path != "/health/live")
            .Select(r => new { r.method, r.path, scope = scopes[$"{r.method} {r.path}"] })
            .OrderBy(r => r.path, StringComparer.Ordinal).ThenBy(r => r.method, StringComparer.Ordinal)
            .ToList();
        var expectedJson = JsonSerializer.Serialize(new { routes = expected }, Indented);

        var actual = File.Exists(Terraform.RoutesFile) ? await File.ReadAllTextAsync(Terraform.RoutesFile) : "(missing)";

        Assert.True(
            JsonSerializer.Serialize(JsonDocument.Parse(actual == "(missing)" ? "{}" : actual).RootElement) == JsonSerializer.Serialize(JsonDocument.Parse(expectedJson).RootElement),
            $"deploy/api-routes.json must list the service's routes (API Gateway is built from it). Expected:\n{expectedJson}\n");
    }

    [Fact]
    public void API_Gateway_is_built_from_the_routes_file_and_events_is_not_a_route()
    {
        var paths = Terraform.Local("api.tf", "openapi").GetProperty("paths").GetString()!;
        Assert.Contains("for path in local.api_paths", paths);
        Assert.Contains("for route in local.routes", Terraform.Local("api.tf", "api_paths").GetString()!);
        Assert.Contains("api-routes.json", Terraform.Local("main.tf", "routes").GetString()!);
        Assert.DoesNotContain("/events", File.ReadAllText(Terraform.RoutesFile));
        var authorizer = Terraform.Local("api.tf", "openapi").GetProperty("components").GetProperty("securitySchemes").GetProperty("key-authorizer").GetProperty("x-amazon-apigateway-authorizer");
        Assert.Equal("token", authorizer.GetProperty("type").GetString());
        Assert.Equal("method.request.header.x-api-key", authorizer.GetProperty("identitySource").GetString());
    }

    [Fact]
    public async Task Every_table_matches_the_one_the_service_creates_keys_indexes_ttl_and_stream()
    {
        var storage = service.Get<IOptions<StorageOptions>>().Value;
        foreach (var table in Terraform.Manifest.GetProperty("tables").EnumerateObject())
        {
            var setting = table.Value.GetProperty("setting").GetString()!.Split("__")[1];
            var name = (string)typeof(StorageOptions).GetProperty(setting)!.GetValue(storage)!;
            var described = (await service.Dynamo.DescribeTableAsync(name)).Table;
            var ttl = (await service.Dynamo.DescribeTimeToLiveAsync(name)).TimeToLiveDescription;
            var tf = Terraform.Resource("tables.tf", "aws_dynamodb_table", table.Name);
            var context = $"aws_dynamodb_table.{table.Name} vs {setting}";

            Assert.Equal("PAY_PER_REQUEST", tf.GetProperty("billing_mode").GetString());
            Assert.Equal($"${{local.table_names.{table.Name}}}", tf.GetProperty("name").GetString());
            Assert.Equal(KeyOf(described.KeySchema, KeyType.HASH), tf.GetProperty("hash_key").GetString());
            Assert.Equal(KeyOf(described.KeySchema, KeyType.RANGE), tf.TryGetProperty("range_key", out var range) ? range.GetString() : null);
            Assert.Equal(
                described.AttributeDefinitions.Select(a => $"{a.AttributeName}:{a.AttributeType.Value}").Order().ToList(),
                tf.GetProperty("attribute").EnumerateArray().Select(a => $"{a.GetProperty("name").GetString()}:{a.GetProperty("type").GetString()}").Order().ToList());
            Assert.Equal(
                (described.GlobalSecondaryIndexes ?? []).Select(i => $"{i.IndexName}:{KeyOf(i.KeySchema, KeyType.HASH)}/{KeyOf(i.KeySchema, KeyType.RANGE)}:{i.Projection.ProjectionType.Value}").Order().ToList(),
                (tf.TryGetProperty("global_secondary_index", out var gsis) ? gsis.EnumerateArray().ToList() : [])
                    .Select(i => $"{i.GetProperty("name").GetString()}:{i.GetProperty("hash_key").GetString()}/{i.GetProperty("range_key").GetString()}:{i.GetProperty("projection_type").GetString()}").Order().ToList());
            Assert.Equal(
                (described.LocalSecondaryIndexes ?? []).Select(i => $"{i.IndexName}:{KeyOf(i.KeySchema, KeyType.RANGE)}:{i.Projection.ProjectionType.Value}").Order().ToList(),
                (tf.TryGetProperty("local_secondary_index", out var lsis) ? lsis.EnumerateArray().ToList() : [])
                    .Select(i => $"{i.GetProperty("name").GetString()}:{i.GetProperty("range_key").GetString()}:{i.GetProperty("projection_type").GetString()}").Order().ToList());
            var ttlAttribute = ttl.TimeToLiveStatus == TimeToLiveStatus.ENABLED ? ttl.AttributeName : null;
            Assert.True(ttlAttribute == (tf.TryGetProperty("ttl", out var tfTtl) ? tfTtl[0].GetProperty("attribute_name").GetString() : null), context + " ttl");
            var stream = described.StreamSpecification is { StreamEnabled: true } spec ? spec.StreamViewType.Value : null;
            Assert.True(stream == (tf.TryGetProperty("stream_enabled", out var enabled) && enabled.GetBoolean() ? tf.GetProperty("stream_view_type").GetString() : null), context + " stream");
            Assert.True(tf.GetProperty("point_in_time_recovery")[0].GetProperty("enabled").GetBoolean(), context + " PITR");
            Assert.True(tf.GetProperty("server_side_encryption")[0].GetProperty("enabled").GetBoolean(), context + " encryption");
        }
    }

    [Fact]
    public void Every_table_setting_of_the_service_is_in_every_functions_environment()
    {
        var settings = Terraform.Manifest.GetProperty("tables").EnumerateObject().Select(t => t.Value.GetProperty("setting").GetString()).ToHashSet();
        var tableOptions = typeof(StorageOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name.EndsWith("Table", StringComparison.Ordinal));
        Assert.All(tableOptions, p => Assert.Contains($"Storage__{p.Name}", settings));

        var common = Terraform.Local("functions.tf", "common_environment").GetString()!;
        Assert.Contains("local.manifest.environment", common);
        Assert.Contains("table.setting => local.table_names[key]", common);
        var variables = Terraform.Resource("functions.tf", "aws_lambda_function", "function").GetProperty("environment")[0].GetProperty("variables").GetString()!;
        Assert.Contains("local.common_environment", variables);
        var environment = Terraform.Manifest.GetProperty("environment");
        Assert.Equal("/health/live", environment.GetProperty("AWS_LWA_READINESS_CHECK_PATH").GetString());
        Assert.Equal("/events", environment.GetProperty("AWS_LWA_PASS_THROUGH_PATH").GetString());
        Assert.Equal("false", environment.GetProperty("Jobs__RunInProcess").GetString());
    }

    [Fact]
    public void Each_role_is_built_from_that_functions_grants_in_the_manifest()
    {
        var policy = Terraform.Resource("functions.tf", "aws_iam_role_policy", "function").GetProperty("policy").GetString()!;
        Assert.Contains("local.dynamodb_statements[each.key]", policy);
        var statements = Terraform.Local("functions.tf", "dynamodb_statements").GetString()!;
        Assert.Contains("for resource, actions in f.dynamodb", statements);
        Assert.Contains("\"dynamodb:${action}\"", statements);
        foreach (var function in Terraform.Manifest.GetProperty("functions").EnumerateObject())
        {
            Assert.All(function.Value.GetProperty("dynamodb").EnumerateObject(), g => Assert.DoesNotContain(g.Value.EnumerateArray(), a => a.GetString()!.Contains('*')));
        }
    }

    [Fact]
    public void API_Gateways_preflight_answer_allows_the_methods_headers_and_max_age_of_the_services_CORS_policy()
    {
        var options = service.Get<IOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>>().Value;
        var policy = options.GetPolicy(options.DefaultPolicyName)!;
        static List<string> Sorted(IEnumerable<string> items) => items.Select(i => i.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(Sorted(policy.Methods), Sorted(Terraform.Local("api.tf", "cors_methods").GetString()!.Split(',')));
        Assert.Equal(Sorted(policy.Headers), Sorted(Terraform.Local("api.tf", "cors_headers").GetString()!.Split(',')));
        Assert.Equal(policy.PreflightMaxAge!.Value.TotalSeconds, Terraform.Local("api.tf", "cors_max_age_seconds").GetDouble());
    }

    private static string? KeyOf(List<KeySchemaElement> keys, KeyType type) => keys.FirstOrDefault(k => k.KeyType == type)?.AttributeName;
}
