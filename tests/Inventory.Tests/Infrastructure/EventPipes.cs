using System.Text.Json.Nodes;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// The one thing an EventBridge Pipe does to a stream record before its enrichment function sees it, for the subset of
/// its features the Terraform uses: a filter pattern of exact values (a leaf array lists the values allowed). Anything
/// else in a pattern is refused here, so the Terraform cannot use a feature these tests do not model. (No input
/// template: the enrichment function builds every message, and the tests run it.)
/// </summary>
public static class EventPipes
{
    public static bool Matches(JsonNode pattern, JsonNode? value)
    {
        switch (pattern)
        {
            case JsonObject fields:
                return value is JsonObject record && fields.All(f => Matches(f.Value!, record[f.Key]));
            case JsonArray allowed:
                Assert.All(allowed, a => Assert.True(a is JsonValue, "Only exact-value filters are modelled: " + pattern.ToJsonString()));
                return value is JsonValue actual && allowed.Any(a => a!.ToJsonString() == actual.ToJsonString());
            default:
                throw new InvalidOperationException("Not a filter pattern: " + pattern.ToJsonString());
        }
    }
}
