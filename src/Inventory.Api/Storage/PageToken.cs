using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;

namespace Inventory.Api.Storage;

/// <summary>
/// Opaque pagination tokens: DynamoDB's LastEvaluatedKey as base64url JSON. Every key of this service is a
/// string, so a token must hold exactly the listing's key names, each a non-empty string, and the values the
/// listing fixes (its category, status, product or alert partition) must be the ones asked for now: a forged or
/// foreign token is a 400, never a DynamoDB error.
/// </summary>
internal static class PageToken
{
    public static string? Encode(Dictionary<string, AttributeValue>? lastKey)
    {
        if (lastKey is not { Count: > 0 })
        {
            return null;
        }

        // "#" marks a number, which no key of this service is: such a token is refused when it comes back.
        var plain = lastKey.ToDictionary(kv => kv.Key, kv => kv.Value.S ?? ("#" + kv.Value.N), StringComparer.Ordinal);
        return Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(plain, RecordJsonContext.Default.DictionaryStringString)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The start key a token stands for; each expected key may pin the value the listing requires (null: any).</summary>
    public static Dictionary<string, AttributeValue>? Decode(string? token, params (string Name, string? Pinned)[] expectedKeys)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        Dictionary<string, string>? plain;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var json = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(base64));
            plain = JsonSerializer.Deserialize(json, RecordJsonContext.Default.DictionaryStringString);
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException or ArgumentException)
        {
            throw InvalidToken();
        }

        if (plain is null || plain.Count != expectedKeys.Length
            || !expectedKeys.All(k => plain.TryGetValue(k.Name, out var value)
                && value is { Length: > 0 and <= 1024 } && !value.StartsWith('#')
                && (k.Pinned is null || string.Equals(k.Pinned, value, StringComparison.Ordinal))))
        {
            throw InvalidToken();
        }

        return plain.ToDictionary(kv => kv.Key, kv => new AttributeValue { S = kv.Value }, StringComparer.Ordinal);
    }

    public static InventoryException InvalidToken() => Problems.InvalidToken();
}
