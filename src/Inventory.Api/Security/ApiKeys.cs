using System.Security.Claims;
using System.Text.Encodings.Web;
using Inventory.Api.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Security;

/// <summary>
/// Scopes are cumulative: <c>reserve</c> can also read, <c>admin</c> can do everything. A storefront page
/// gets a read key, the shop's backend a reserve key, staff an admin key.
/// </summary>
public enum Scope
{
    Read = 1,
    Reserve = 2,
    Admin = 3,
}

/// <summary>
/// A scope as written in configuration, in a key record or in a request: exactly one of the names above, spelt as
/// they are. Enum.Parse would also take "Read,Reserve" (flags, whose sum is Admin), " Admin", "admin" and "3".
/// </summary>
public static class Scopes
{
    public static string Names { get; } = string.Join(", ", Enum.GetNames<Scope>());

    public static bool TryParse(string? text, out Scope scope)
    {
        foreach (var candidate in Enum.GetValues<Scope>())
        {
            if (string.Equals(text, candidate.ToString(), StringComparison.Ordinal))
            {
                scope = candidate;
                return true;
            }
        }

        scope = default;
        return false;
    }
}

public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>Keys from configuration: the only keys without a key table, and seeded into it when there is one.</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>How long an instance remembers a key table's answer (so how long a revoked key may still work there).</summary>
    public double CacheSeconds { get; set; } = 30;

    /// <summary>
    /// On AWS: per scope, the API Gateway usage-plan key the authorizer names (usageIdentifierKey), so API Gateway
    /// meters and throttles each scope's keys by its usage plan. Clients never see these.
    /// </summary>
    public Dictionary<string, string> UsageIdentifierKeys { get; set; } = [];
}

public sealed class ApiKeyEntry
{
    /// <summary>Who holds the key; shown in logs and used for rate limiting, never the key itself.</summary>
    public string Name { get; set; } = string.Empty;

    public string Key { get; set; } = string.Empty;

    /// <summary>
    /// Text, not <see cref="Security.Scope"/>: the configuration binder parses enums leniently (see <see cref="Scopes"/>),
    /// so the exact name is checked at start instead (<see cref="ApiKeyOptionsValidation"/>).
    /// </summary>
    public string Scope { get; set; } = nameof(Security.Scope.Read);

    /// <summary>The scope; valid once the options passed <see cref="ApiKeyOptionsValidation"/>, which runs before any key is read.</summary>
    public Scope ParsedScope => Scopes.TryParse(Scope, out var scope)
        ? scope
        : throw new InvalidOperationException($"API key '{Name}' has the scope '{Scope}', which is not one of {Scopes.Names}.");
}

/// <summary>
/// Refuses to start with a configured key whose scope is not exactly one scope name, or a usage-plan key for a scope
/// that does not exist: a typo must not grant more (or less) than was meant without anyone noticing.
/// </summary>
public sealed class ApiKeyOptionsValidation : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            if (!Scopes.TryParse(options.Keys[i].Scope, out _))
            {
                failures.Add($"{ApiKeyOptions.Section}:Keys:{i}:Scope is '{options.Keys[i].Scope}'; it must be exactly one of {Scopes.Names}.");
            }
        }

        foreach (var scope in options.UsageIdentifierKeys.Keys.Where(s => !Scopes.TryParse(s, out _)))
        {
            failures.Add($"{ApiKeyOptions.Section}:UsageIdentifierKeys names the scope '{scope}'; scopes are exactly {Scopes.Names}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Reads <c>x-api-key</c> (API Gateway's header) and asks the <see cref="ApiKeyRegistry"/> whose it is. On AWS the
/// authorizer has checked the key already; the service checks it again, and the scope, so a route that lost its
/// authorizer still refuses strangers.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyRegistry registry,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var presented) || string.IsNullOrEmpty(presented.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        if (await registry.FindAsync(presented.ToString(), Context.RequestAborted) is not { } key)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, key.Name), new Claim(ScopeClaim, key.Scope.ToString()), new Claim(KeyIdClaim, key.KeyId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Write(401, "unauthorized", "A valid API key is required.", $"Send your key in the '{HeaderName}' header.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Write(403, "forbidden", "This key may not do that.", "The API key is valid but lacks the scope this operation needs.");

    private async Task Write(int status, string code, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = ProblemHandling.Problem(status, code, title, detail),
        });
    }
}

public static class Policies
{
    public const string Read = "read";
    public const string Reserve = "reserve";
    public const string Admin = "admin";

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        options.AddPolicy(Read, p => p.RequireAssertion(c => Has(c.User, Scope.Read)));
        options.AddPolicy(Reserve, p => p.RequireAssertion(c => Has(c.User, Scope.Reserve)));
        options.AddPolicy(Admin, p => p.RequireAssertion(c => Has(c.User, Scope.Admin)));
    }

    /// <summary>The scope a policy name asks for; null for a name that is not one of these policies.</summary>
    public static Scope? ScopeOf(string? policy) => policy switch
    {
        Read => Scope.Read,
        Reserve => Scope.Reserve,
        Admin => Scope.Admin,
        _ => null,
    };

    private static bool Has(ClaimsPrincipal user, Scope needed) =>
        Scopes.TryParse(user.FindFirst(ApiKeyAuthentication.ScopeClaim)?.Value, out var granted) && granted >= needed;
}
