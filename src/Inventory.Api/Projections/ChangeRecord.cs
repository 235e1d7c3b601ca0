using System.Text.Json;
using Amazon.DynamoDBv2.Model;

namespace Inventory.Api.Projections;

/// <summary>One change of a stock row as the table's change stream reports it: its sequence number and the row before and after.</summary>
public sealed record ChangeRecord(string SequenceNumber, Dictionary<string, AttributeValue>? OldImage, Dictionary<string, AttributeValue>? NewImage);

/// <summary>
/// Reads DynamoDB change-stream records from their JSON form. The Lambda event a stream's event source mapping
/// delivers and the GetRecords answer of the Streams API share it: <c>dynamodb.SequenceNumber</c>,
/// <c>dynamodb.OldImage</c> and <c>dynamodb.NewImage</c>, each image in DynamoDB's typed JSON (<c>{"N":"42"}</c>).
/// </summary>
public static class ChangeRecords
{
    /// <summary>The record's sequence number, or null if it has none (not a stream record).</summary>
    public static string? SequenceNumber(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("dynamodb", out var body) && body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("SequenceNumber", out var sequence) && sequence.ValueKind == JsonValueKind.String
        && sequence.GetString() is { Length: > 0 } text && text.All(char.IsAsciiDigit)
            ? text
            : null;

    /// <summary>The record, or null if it is not a DynamoDB stream record.</summary>
    public static ChangeRecord? Parse(JsonElement record)
    {
        if (SequenceNumber(record) is not { } sequence)
        {
            return null;
        }

        var body = record.GetProperty("dynamodb");
        return new ChangeRecord(sequence, Image(body, "OldImage"), Image(body, "NewImage"));
    }

    private static Dictionary<string, AttributeValue>? Image(JsonElement body, string name) =>
        body.TryGetProperty(name, out var image) && image.ValueKind == JsonValueKind.Object ? Map(image) : null;

    private static Dictionary<string, AttributeValue> Map(JsonElement map)
    {
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var attribute in map.EnumerateObject())
        {
            if (Value(attribute.Value) is { } value)
            {
                item[attribute.Name] = value;
            }
        }

        return item;
    }

    /// <summary>One typed value; binary values (which no table here stores) and unknown types are left out.</summary>
    private static AttributeValue? Value(JsonElement typed)
    {
        if (typed.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var property in typed.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "S" when value.ValueKind == JsonValueKind.String:
                    return new AttributeValue { S = value.GetString() };
                case "N" when value.ValueKind == JsonValueKind.String:
                    return new AttributeValue { N = value.GetString() };
                case "BOOL" when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    return new AttributeValue { BOOL = value.GetBoolean() };
                case "NULL":
                    return new AttributeValue { NULL = true };
                case "SS" when value.ValueKind == JsonValueKind.Array:
                    return new AttributeValue { SS = [.. value.EnumerateArray().Select(v => v.GetString() ?? string.Empty)] };
                case "NS" when value.ValueKind == JsonValueKind.Array:
                    return new AttributeValue { NS = [.. value.EnumerateArray().Select(v => v.GetString() ?? "0")] };
                case "M" when value.ValueKind == JsonValueKind.Object:
                    return new AttributeValue { M = Map(value) };
                case "L" when value.ValueKind == JsonValueKind.Array:
                    return new AttributeValue { L = [.. value.EnumerateArray().Select(Value).OfType<AttributeValue>()] };
            }
        }

        return null;
    }
}
