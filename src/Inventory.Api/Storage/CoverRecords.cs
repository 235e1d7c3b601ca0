using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>A row's days of cover as last evaluated (at <paramref name="ComputedAt"/>, after its latest change).</summary>
public sealed record CoverView(
    string ProductId, string WarehouseId, long AvailableCount,
    [property: JsonPropertyName("sold_7d")] long Sold7d,
    [property: JsonPropertyName("sold_28d")] long Sold28d,
    [property: JsonPropertyName("velocity_7d")] decimal Velocity7d,
    [property: JsonPropertyName("velocity_28d")] decimal Velocity28d,
    decimal? DaysOfCover, int? LeadTimeDays, bool RunsOutSoon, DateTimeOffset ComputedAt);

public sealed record CoverPage(IReadOnlyList<CoverView> Rows, string? NextToken);

/// <summary>The rows' days of cover as the cover projection last stored them, read back for the admin listing.</summary>
public sealed class CoverRecords(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    /// <summary>The one partition value of the cover index: listings read rows by days of cover, never by scanning.</summary>
    public const string ListName = "cover";

    private readonly string table = options.Value.VelocityTable;

    /// <summary>Rows by days of cover, soonest to run out first (rows without sales in 28 days are not listed); or one product's rows.</summary>
    public async Task<CoverPage> ListAsync(string? productId, int limit, string? nextToken, CancellationToken ct)
    {
        QueryRequest request = productId is null
            ? new QueryRequest
            {
                TableName = table,
                IndexName = Indexes.Cover,
                KeyConditionExpression = "#l = :l",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#l"] = Attr.CoverList },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":l"] = Items.S(ListName) },
                Limit = limit,
                ExclusiveStartKey = PageToken.Decode(nextToken,
                    (Attr.CoverList, ListName), (Attr.CoverRank, null), (Attr.ProductId, null), (Attr.VelocityKey, null)),
            }
            : new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "#p = :p AND begins_with(#k, :c)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId, ["#k"] = Attr.VelocityKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":p"] = Items.S(productId), [":c"] = Items.S("cover#") },
                Limit = limit,
                ConsistentRead = true,
                ExclusiveStartKey = PageToken.Decode(nextToken, (Attr.ProductId, productId), (Attr.VelocityKey, null)),
            };
        var response = await dynamo.QueryAsync(request, ct);
        return new CoverPage((response.Items ?? []).Select(ToView).ToList(), PageToken.Encode(response.LastEvaluatedKey));
    }

    private static CoverView ToView(Dictionary<string, AttributeValue> item) => new(
        Items.Str(item, Attr.ProductId)!,
        Items.Str(item, Attr.WarehouseId)!,
        Items.Long(item, Attr.AvailableCount),
        Items.Long(item, Attr.Sold7Days),
        Items.Long(item, Attr.Sold28Days),
        Items.Decimal(item, Attr.Velocity7Days) ?? 0,
        Items.Decimal(item, Attr.Velocity28Days) ?? 0,
        Items.Decimal(item, Attr.DaysOfCover),
        item.ContainsKey(Attr.LeadTimeDays) ? (int)Items.Long(item, Attr.LeadTimeDays) : null,
        item.TryGetValue(Attr.RunsOutSoon, out var flag) && flag.BOOL == true,
        Items.Timestamp(item, Attr.ComputedAt));
}
