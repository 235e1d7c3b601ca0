using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// What an EventBridge Pipe does to a stream record, for the subset of its features the Terraform uses: a filter
/// pattern of exact values (a leaf array lists the values allowed), and an input template whose
/// &lt;$.path&gt; placeholders take the record's values verbatim. Anything else in a pattern is refused here, so
/// the Terraform cannot use a feature these tests do not model.
/// </summary>
public static partial class EventPipes
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

    public static string Render(string template, JsonObject record) =>
        Placeholder().Replace(template, m =>
        {
            JsonNode? node = record;
            foreach (var step in m.Groups[1].Value.Split('.'))
            {
                node = node?[step];
            }

            Assert.True(node is JsonValue, $"{m.Value} finds nothing in {record.ToJsonString()}");
            return node!.GetValue<string>();
        });

    [GeneratedRegex(@"<\$\.([A-Za-z0-9_.]+)>")]
    private static partial Regex Placeholder();
}
