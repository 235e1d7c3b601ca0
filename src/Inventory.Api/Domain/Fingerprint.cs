using System.Security.Cryptography;
using System.Text;

namespace Inventory.Api.Domain;

/// <summary>
/// A short digest of what a request asked for, stored beside its idempotency key so a replay can be told
/// apart from a different request that reuses the key.
/// </summary>
public static class Fingerprint
{
    public static string Of(params object?[] parts)
    {
        var canonical = string.Join('\u001f', parts.Select(p => p switch
        {
            null => "\u2400",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => p.ToString(),
        }));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..32];
    }
}
