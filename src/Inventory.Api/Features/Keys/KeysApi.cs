using Inventory.Api.Infrastructure;
using Inventory.Api.Domain;
using Inventory.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inventory.Api.Features.Keys;

public sealed record CreateApiKeyRequest(string? Name, string? Scope) : IRequestBody;

/// <summary>A key as listed: never its secret. <c>scope</c> is null for a stored record whose scope is not exactly a scope name (refused).</summary>
public sealed record ApiKeyView(string KeyId, string Name, Scope? Scope, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool Active)
{
    public static ApiKeyView From(ApiKeyRecord k) => new(k.KeyId, k.Name, k.Scope, k.CreatedAt, k.RevokedAt, k.IsActive);
}

/// <summary>A new key: the only answer that ever contains the secret.</summary>
public sealed record CreatedApiKeyView(string KeyId, string Name, Scope Scope, DateTimeOffset CreatedAt, string Key);

public sealed record ApiKeyListView(IReadOnlyList<ApiKeyView> Items);

/// <summary>Key management, so keys rotate without a redeploy: create the new key, move the client, revoke the old one.</summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/keys").WithTags("Admin").RequireAuthorization(Policies.Admin);
        group.MapPost("/", Create)
            .WithSummary("Create an API key. The secret is in this answer only; the service stores its hash.")
            .ProducesProblem(400).ProducesProblem(409);
        group.MapGet("/", List)
            .WithSummary("Every API key, active and revoked, without secrets.")
            .ProducesProblem(409);
        group.MapDelete("/{keyId}", Revoke)
            .WithSummary("Revoke an API key. Revoking it again answers the same; the key stops working within the cache period.")
            .ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    public static async Task<Created<CreatedApiKeyView>> Create(CreateApiKeyRequest body, ApiKeyRegistry registry, CancellationToken ct)
    {
        Scope scope = default;
        new Validator()
            .Text("name", body.Name, 100)
            .Check(Scopes.TryParse(body.Scope, out scope), "scope", $"must be exactly one of {Scopes.Names}: one scope, spelt as here.")
            .ThrowIfInvalid();
        var (record, secret) = await registry.CreateAsync(body.Name!.Trim(), scope, ct);
        return TypedResults.Created($"/admin/keys/{record.KeyId}", new CreatedApiKeyView(record.KeyId, record.Name, scope, record.CreatedAt, secret));
    }

    public static async Task<Ok<ApiKeyListView>> List(ApiKeyRegistry registry, CancellationToken ct) =>
        TypedResults.Ok(new ApiKeyListView((await registry.ListAsync(ct)).Select(ApiKeyView.From).ToList()));

    public static async Task<Ok<ApiKeyView>> Revoke(string keyId, ApiKeyRegistry registry, CancellationToken ct)
    {
        new Validator().Id("key_id", keyId).ThrowIfInvalid();
        return TypedResults.Ok(ApiKeyView.From(await registry.RevokeAsync(keyId, ct)));
    }
}
