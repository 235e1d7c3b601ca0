using System.Security.Claims;
using Inventory.Api.Domain;

namespace Inventory.Api.Security;

public static class Actors
{
    /// <summary>
    /// The caller as the stock history names it: the name of the API key the request authenticated with (never the key).
    /// Every endpoint that writes stock requires a key, so a request without one never gets here.
    /// </summary>
    public static Actor ActorOf(this ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name }
            ? new Actor(
                name,
                user.FindFirst(ApiKeyAuthentication.KeyIdClaim)?.Value,
                ActsForAnyone: Scopes.TryParse(user.FindFirst(ApiKeyAuthentication.ScopeClaim)?.Value, out var scope) && scope == Scope.Admin)
            : throw new InvalidOperationException("A stock write reached its endpoint without an authenticated API key.");
}
