using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
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

public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    public List<ApiKeyEntry> Keys { get; set; } = [];
}

public sealed class ApiKeyEntry
{
    /// <summary>Who holds the key; shown in logs and used for rate limiting, never the key itself.</summary>
    public string Name { get; set; } = string.Empty;

    public string Key { get; set; } = string.Empty;

    public Scope Scope { get; set; } = Scope.Read;
}

/// <summary>
/// Reads <c>x-api-key</c> (API Gateway's header). Every configured key is compared, each in constant time
/// over SHA-256 digests, so neither timing nor key length reveals which key came close.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptionsMonitor<ApiKeyOptions> keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "x-api-key";
    public const string ScopeClaim = "scope";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var presented) || string.IsNullOrEmpty(presented.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToString()));
        ApiKeyEntry? match = null;
        foreach (var entry in keys.CurrentValue.Keys)
        {
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(entry.Key));
            if (CryptographicOperations.FixedTimeEquals(digest, expected) && entry.Key.Length > 0)
            {
                match = entry;
            }
        }

        if (match is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, match.Name), new Claim(ScopeClaim, match.Scope.ToString())], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
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

    private static bool Has(ClaimsPrincipal user, Scope needed) =>
        Enum.TryParse<Scope>(user.FindFirst(ApiKeyAuthentication.ScopeClaim)?.Value, out var granted) && granted >= needed;
}
