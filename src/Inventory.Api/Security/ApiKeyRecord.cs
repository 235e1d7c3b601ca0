using System.Security.Cryptography;
using System.Text;

namespace Inventory.Api.Security;

/// <summary>
/// A key as the service stores it: never the secret, only its SHA-256. <see cref="KeyId"/> is the first 16 hex
/// digits of that hash, so a presented key finds its record with one lookup and the id can be shown and logged.
/// <see cref="Scope"/> is null when the stored scope is not exactly a scope name (a record written by hand): such a
/// key is refused, still listed, and can be revoked.
/// </summary>
public sealed record ApiKeyRecord(string KeyId, string KeyHash, string Name, Scope? Scope, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    private const int IdLength = 16;

    public bool IsActive => RevokedAt is null;

    /// <summary>Hex SHA-256 of the key. Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string IdOf(string keyHash) => keyHash[..IdLength];

    /// <summary>A new secret: "ik_" and 32 random bytes, base64url (46 characters in all).</summary>
    public static string NewSecret() => "ik_" + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>Compares the stored hash with a presented key's in constant time.</summary>
    public bool Matches(string presentedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(KeyHash), Encoding.ASCII.GetBytes(presentedHash));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
