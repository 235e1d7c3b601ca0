using System.Text.Json.Serialization;
using Inventory.Api.Domain;

namespace Inventory.Api.Storage;

/// <summary>
/// The JSON that storage keeps inside items: the answers idempotency records replay, and page tokens. Its own context,
/// apart from the API's wire JSON, so a stored shape changes only when storage changes it; the options are the
/// API's, so records written before this context existed read back the same.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(Adjustment))]
[JsonSerializable(typeof(Transfer))]
[JsonSerializable(typeof(FulfilmentResult))]
[JsonSerializable(typeof(ImportedLine))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class RecordJsonContext : JsonSerializerContext;
