using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Security;

public sealed record PolicyStatement(
    [property: JsonPropertyName("Action")] string Action,
    [property: JsonPropertyName("Effect")] string Effect,
    [property: JsonPropertyName("Resource")] IReadOnlyList<string> Resource);

public sealed record PolicyDocument(
    [property: JsonPropertyName("Version")] string Version,
    [property: JsonPropertyName("Statement")] IReadOnlyList<PolicyStatement> Statement);

/// <summary>What API Gateway expects back from a Lambda authorizer (its names, camelCase).</summary>
public sealed record AuthorizerResponse(
    [property: JsonPropertyName("principalId")] string PrincipalId,
    [property: JsonPropertyName("policyDocument")] PolicyDocument PolicyDocument,
    [property: JsonPropertyName("context")] IReadOnlyDictionary<string, string> Context,
    [property: JsonPropertyName("usageIdentifierKey"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UsageIdentifierKey = null);

/// <summary>
/// API Gateway's Lambda authorizer, reached through /events. It takes a TOKEN event (the identity source is the
/// <c>x-api-key</c> header) and answers a policy that allows exactly the routes the key's scope may call, built
/// from the service's own endpoint metadata, so the edge and the service can never disagree about a route.
/// Because the policy does not depend on the route that was called, API Gateway may cache it per key and reuse
/// it for every route. An unknown, revoked or malformed key gets an explicit deny.
/// </summary>
public sealed partial class ApiKeyAuthorizer(
    ApiKeyRegistry registry, EndpointDataSource endpoints, IOptionsMonitor<ApiKeyOptions> options, ILogger<ApiKeyAuthorizer> logger)
{
    private const string Invoke = "execute-api:Invoke";

    /// <summary>Per scope, the method/path patterns to allow and the wider-scope routes to deny, worked out once.</summary>
    private readonly Lazy<Dictionary<Scope, (List<string> Allowed, List<string> Denied)>> policies = new(() => PoliciesOf(RoutesOf(endpoints)));

    /// <summary>An API Gateway TOKEN authorizer event: <c>{"type":"TOKEN","authorizationToken":…,"methodArn":…}</c>.</summary>
    public static bool IsTokenEvent(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("TOKEN")
        && body.TryGetProperty("methodArn", out _);

    public async Task<AuthorizerResponse> DecideAsync(JsonElement tokenEvent, CancellationToken ct)
    {
        var methodArn = Text(tokenEvent, "methodArn");
        var apiPrefix = methodArn is null ? null : MethodArn().Match(methodArn) is { Success: true } m ? m.Groups["prefix"].Value : null;
        var token = Text(tokenEvent, "authorizationToken");
        if (apiPrefix is null || string.IsNullOrEmpty(token))
        {
            logger.LogWarning("Authorizer event refused: {Fault}", apiPrefix is null ? "unreadable methodArn" : "no token");
            return Deny(methodArn is not null && apiPrefix is not null ? $"{apiPrefix}/*" : "*");
        }

        var key = await registry.FindAsync(token, ct);
        if (key is null)
        {
            return Deny($"{apiPrefix}/*");
        }

        var (allowed, denied) = policies.Value[key.Scope];
        List<PolicyStatement> statements = [new(Invoke, "Allow", allowed.Select(r => $"{apiPrefix}/{r}").ToList())];
        if (denied.Count > 0)
        {
            statements.Add(new(Invoke, "Deny", denied.Select(r => $"{apiPrefix}/{r}").ToList()));
        }

        return new AuthorizerResponse(
            key.Name,
            new PolicyDocument("2012-10-17", statements),
            new Dictionary<string, string> { ["key_id"] = key.KeyId, ["key_name"] = key.Name, ["scope"] = key.Scope.ToString() },
            options.CurrentValue.UsageIdentifierKeys.GetValueOrDefault(key.Scope.ToString()));
    }

    /// <summary>
    /// A * in an execute-api ARN also matches '/', so GET/inventory/* would let a read key reach
    /// GET/inventory/{id}/reservations at the edge; the routes such a pattern covers beyond the scope are denied
    /// explicitly (a deny wins over an allow).
    /// </summary>
    private static Dictionary<Scope, (List<string> Allowed, List<string> Denied)> PoliciesOf(List<(Scope Needs, string Method, string Path)> routes) =>
        Enum.GetValues<Scope>().ToDictionary(scope => scope, scope =>
        {
            var allowed = routes.Where(r => r.Needs <= scope).Select(r => $"{r.Method}/{r.Path}").ToList();
            var patterns = allowed.Select(Glob).ToList();
            var denied = routes.Where(r => r.Needs > scope).Select(r => $"{r.Method}/{r.Path}").Where(r => patterns.Any(p => p.IsMatch(r))).ToList();
            return (allowed, denied);
        });

    /// <summary>How IAM reads a resource pattern: * is any run of characters, '/' included.</summary>
    private static Regex Glob(string pattern) => new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);

    private static AuthorizerResponse Deny(string resource) => new(
        "unknown",
        new PolicyDocument("2012-10-17", [new PolicyStatement(Invoke, "Deny", [resource])]),
        new Dictionary<string, string>());

    private static string? Text(JsonElement body, string name)
    {
        try
        {
            return body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            return null; // not valid UTF-8
        }
    }

    /// <summary>Every route that needs a key, with the scope it needs, as an execute-api resource path (parameters become *).</summary>
    private static List<(Scope, string, string)> RoutesOf(EndpointDataSource endpoints) =>
        endpoints.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e =>
            {
                var needs = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => Policies.ScopeOf(a.Policy)).Max();
                var methods = e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
                return needs is { } scope ? methods.Select(method => (scope, method, ResourcePath(e.RoutePattern))) : [];
            })
            .Distinct()
            .OrderBy(r => r.Item3, StringComparer.Ordinal).ThenBy(r => r.Item2, StringComparer.Ordinal)
            .ToList();

    private static string ResourcePath(RoutePattern pattern) =>
        string.Join('/', pattern.PathSegments.Select(s => s.IsSimple && s.Parts[0] is RoutePatternLiteralPart literal ? literal.Content : "*"));

    /// <summary>arn:aws:execute-api:{region}:{account}:{api id}/{stage}/{method}/{path}; the prefix is everything before the method.</summary>
    [GeneratedRegex(@"^(?<prefix>arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9]+/[A-Za-z0-9_-]+)/[A-Z*]+/")]
    private static partial Regex MethodArn();
}
