using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;

namespace Inventory.Api.Storage;

/// <summary>
/// Opaque pagination tokens: DynamoDB's LastEvaluatedKey as base64url JSON. A token is checked against the
/// key names the listing expects, so a forged or foreign token is a 400, never a DynamoDB error.
/// </summary>
internal static class PageToken
{
    public static string? Encode(Dictionary<string, AttributeValue>? lastKey)
    {
        if (lastKey is not { Count: > 0 })
        {
            return null;
        }

        var plain = lastKey.ToDictionary(kv => kv.Key, kv => kv.Value.S ?? ("#" + kv.Value.N), StringComparer.Ordinal);
        return Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(plain)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static Dictionary<string, AttributeValue>? Decode(string? token, params string[] expectedKeys)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var plain = JsonSerializer.Deserialize<Dictionary<string, string>>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            if (plain is null || plain.Count != expectedKeys.Length || !expectedKeys.All(plain.ContainsKey)
                || plain.Values.Any(v => string.IsNullOrEmpty(v) || v.Length > 1024))
            {
                throw InvalidToken();
            }

            return plain.ToDictionary(
                kv => kv.Key,
                kv => kv.Value.StartsWith('#') ? new AttributeValue { N = kv.Value[1..] } : new AttributeValue { S = kv.Value },
                StringComparer.Ordinal);
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            throw InvalidToken();
        }
    }

    public static InventoryException InvalidToken() => Problems.Validation("next_token", "is not a token this listing issued.");
}
