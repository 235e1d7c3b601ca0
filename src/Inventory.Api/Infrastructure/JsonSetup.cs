using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inventory.Api.Infrastructure;

public static class JsonSetup
{
    /// <summary>
    /// snake_case; enums as their names; unknown fields refused, so a typo such as "quantaty" is a 400 instead of a
    /// silently ignored field.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Create();

    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions();
        Apply(options);
        return options;
    }

    public static void Apply(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;

        // Only the generated serializers (AppJsonContext), never reflection.
        options.TypeInfoResolverChain.Clear();
        options.TypeInfoResolverChain.Add(AppJsonContext.Default);
    }
}
