using System.Collections.Concurrent;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Infrastructure;

namespace Inventory.Api.Security;

/// <summary>Who holds a key: what logs and rate limits name, and what it may do.</summary>
public sealed record ApiKeyIdentity(string KeyId, string Name, Scope Scope);

/// <summary>
/// The one answer to "whose key is this?", for the service's own authentication and for the API Gateway
/// authorizer. With a key table configured the table decides; without one, the keys in configuration do.
/// Answers from the table are remembered for <see cref="ApiKeyOptions.CacheSeconds"/> per instance, so a busy
/// key costs one read per instance per period, and a revocation takes effect within that period.
/// </summary>
public sealed class ApiKeyRegistry(
    ApiKeyStore store, IOptionsMonitor<ApiKeyOptions> options, IOptions<AttemptOptions> attempts, TimeProvider clock, ILogger<ApiKeyRegistry> logger)
{
    private readonly int revokeAttempts = attempts.Value.KeyRevocation;

    /// <summary>Longer than any key this service issues; longer presented values are refused unread.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>Bounds the memory unknown keys can take: past this many cached answers the cache starts over.</summary>
    private const int MaxCachedAnswers = 10_000;

    private readonly ConcurrentDictionary<string, (ApiKeyIdentity? Identity, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);

    /// <summary>The configured keys with their hashes, computed once per configuration (it can be reloaded).</summary>
    private ConfiguredKeys? configured;

    public bool ManagesKeys => store.IsConfigured;

    public async Task<ApiKeyIdentity?> FindAsync(string presented, CancellationToken ct)
    {
        if (presented.Length is 0 or > MaxKeyLength)
        {
            return null;
        }

        var hash = ApiKeyRecord.HashOf(presented);
        if (!store.IsConfigured)
        {
            return FromConfiguration(hash);
        }

        var now = clock.GetUtcNow();
        if (cache.TryGetValue(hash, out var known) && known.Until > now)
        {
            return known.Identity;
        }

        var record = await store.GetAsync(ApiKeyRecord.IdOf(hash), ct);
        ApiKeyIdentity? identity = null;
        if (record is { IsActive: true } && record.Matches(hash))
        {
            if (record.Scope is { } scope)
            {
                identity = new ApiKeyIdentity(record.KeyId, record.Name, scope);
            }
            else
            {
                logger.LogWarning("API key {KeyId} ({KeyName}) refused: its stored scope is not exactly one of {Scopes}", record.KeyId, record.Name, Scopes.Names);
            }
        }

        if (cache.Count >= MaxCachedAnswers)
        {
            cache.Clear();
        }

        cache[hash] = (identity, now.AddSeconds(options.CurrentValue.CacheSeconds));
        return identity;
    }

    /// <summary>A new key; its secret is returned here once and stored nowhere.</summary>
    public async Task<(ApiKeyRecord Record, string Secret)> CreateAsync(string name, Scope scope, CancellationToken ct)
    {
        EnsureManaged();
        while (true)
        {
            var secret = ApiKeyRecord.NewSecret();
            var hash = ApiKeyRecord.HashOf(secret);
            var record = new ApiKeyRecord(ApiKeyRecord.IdOf(hash), hash, name, scope, clock.UtcNowMillis(), null);
            if (await store.TryCreateAsync(record, ct))
            {
                logger.LogInformation("API key {KeyId} ({KeyName}, {Scope}) created", record.KeyId, name, scope);
                return (record, secret);
            }

            // Two random 256-bit keys sharing a 64-bit id: practically never, but never overwrite a key.
        }
    }

    public async Task<List<ApiKeyRecord>> ListAsync(CancellationToken ct)
    {
        EnsureManaged();
        return (await store.ListAsync(ct)).OrderBy(k => k.CreatedAt).ThenBy(k => k.KeyId, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Revokes a key, but never the last active admin key: without one nobody could create keys again short of a
    /// new deployment. Keys from configuration count only through their records, because with a key table the
    /// table alone decides who gets in (they are seeded into it once; a revoked one stays revoked).
    /// </summary>
    public async Task<ApiKeyRecord> RevokeAsync(string keyId, CancellationToken ct)
    {
        EnsureManaged();
        for (var attempt = 1; ; attempt++)
        {
            var keys = await store.ListAsync(ct);
            var target = keys.Find(k => k.KeyId == keyId) ?? throw Problems.ApiKeyNotFound(keyId);
            string? keptAdmin = null;
            if (target is { IsActive: true, Scope: Scope.Admin })
            {
                keptAdmin = keys.Find(k => k.KeyId != keyId && k is { IsActive: true, Scope: Scope.Admin })?.KeyId
                    ?? throw Problems.LastAdminKey(keyId);
            }

            var revocation = await store.RevokeAsync(keyId, clock.UtcNowMillis(), keptAdmin, ct);
            if (revocation == Revocation.NotFound)
            {
                throw Problems.ApiKeyNotFound(keyId);
            }

            if (revocation == Revocation.KeptKeyRevoked)
            {
                // Another admin key was revoked at the same moment: look at the keys again (bounded, as any contended write).
                if (attempt >= revokeAttempts)
                {
                    throw Problems.Busy();
                }

                continue;
            }

            foreach (var entry in cache.Where(e => e.Value.Identity?.KeyId == keyId))
            {
                cache.TryRemove(entry.Key, out _);
            }

            var revoked = await store.GetAsync(keyId, ct) ?? throw Problems.ApiKeyNotFound(keyId);
            logger.LogInformation("API key {KeyId} ({KeyName}) revoked", keyId, revoked.Name);
            return revoked;
        }
    }

    /// <summary>
    /// Writes the keys named in configuration into the table when they are not there yet (local runs: the
    /// development keys). A key revoked since stays revoked: nothing is overwritten.
    /// </summary>
    public async Task SeedConfiguredKeysAsync(CancellationToken ct)
    {
        if (!store.IsConfigured)
        {
            return;
        }

        foreach (var entry in options.CurrentValue.Keys.Where(k => k.Key.Length > 0))
        {
            var hash = ApiKeyRecord.HashOf(entry.Key);
            await store.TryCreateAsync(new ApiKeyRecord(ApiKeyRecord.IdOf(hash), hash, entry.Name, entry.ParsedScope, clock.UtcNowMillis(), null), ct);
        }
    }

    /// <summary>Every configured key is compared, each in constant time, so timing does not tell which came close.</summary>
    private ApiKeyIdentity? FromConfiguration(string presentedHash)
    {
        var source = options.CurrentValue.Keys;
        var known = configured;
        if (known is null || !ReferenceEquals(known.Source, source))
        {
            // A reference swap: a concurrent request sees the old set or the new one, never half of either.
            known = new ConfiguredKeys(source, source.Where(k => k.Key.Length > 0).Select(k =>
            {
                var hash = ApiKeyRecord.HashOf(k.Key);
                return (System.Text.Encoding.ASCII.GetBytes(hash), new ApiKeyIdentity(ApiKeyRecord.IdOf(hash), k.Name, k.ParsedScope));
            }).ToList());
            configured = known;
        }

        var presented = System.Text.Encoding.ASCII.GetBytes(presentedHash);
        ApiKeyIdentity? match = null;
        foreach (var (hash, identity) in known.Keys)
        {
            if (System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(hash, presented))
            {
                match = identity;
            }
        }

        return match;
    }

    private void EnsureManaged()
    {
        if (!store.IsConfigured)
        {
            throw Problems.ApiKeysNotManaged();
        }
    }
}

internal sealed record ConfiguredKeys(List<ApiKeyEntry> Source, List<(byte[] Hash, ApiKeyIdentity Identity)> Keys);
