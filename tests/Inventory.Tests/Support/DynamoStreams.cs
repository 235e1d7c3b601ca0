using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Inventory.Tests.Support;

/// <summary>
/// Reads a table's stream from DynamoDB Local over the DynamoDB Streams JSON protocol (the SDK's Streams client is
/// not in the package registry here). DynamoDB Local does not check signatures, but it keeps data per access key
/// and region, so the Authorization header names the service's ("local", us-east-1).
/// </summary>
public sealed class DynamoStreams(string serviceUrl)
{
    private static readonly HttpClient Http = new();

    /// <summary>Every record on every shard of the table's latest stream, oldest first, in the Lambda/Pipes event shape.</summary>
    public async Task<List<JsonObject>> ReadAllAsync(string streamArn)
    {
        var records = new List<JsonObject>();
        var shards = (await CallAsync("DescribeStream", new JsonObject { ["StreamArn"] = streamArn }))["StreamDescription"]!["Shards"]!.AsArray();
        foreach (var shard in shards)
        {
            var iterator = (await CallAsync("GetShardIterator", new JsonObject
            {
                ["StreamArn"] = streamArn,
                ["ShardId"] = shard!["ShardId"]!.GetValue<string>(),
                ["ShardIteratorType"] = "TRIM_HORIZON",
            }))["ShardIterator"]?.GetValue<string>();
            for (var page = 0; iterator is not null && page < 100; page++)
            {
                var result = await CallAsync("GetRecords", new JsonObject { ["ShardIterator"] = iterator });
                var batch = result["Records"]!.AsArray();
                records.AddRange(batch.Select(r => r!.AsObject()));
                iterator = batch.Count == 0 ? null : result["NextShardIterator"]?.GetValue<string>();
            }
        }

        return records.Select(r => JsonNode.Parse(r.ToJsonString())!.AsObject()).ToList();
    }

    /// <summary>The ids of the shards of the table's latest stream.</summary>
    public async Task<List<string>> ShardIdsAsync(string streamArn) =>
        (await CallAsync("DescribeStream", new JsonObject { ["StreamArn"] = streamArn }))["StreamDescription"]!["Shards"]!.AsArray()
            .Select(shard => shard!["ShardId"]!.GetValue<string>())
            .ToList();

    /// <summary>
    /// Every status move of one stock row as its counts tell it, in stream order ("IN_STOCK>LOW_STOCK", ...): what the
    /// row's alerts must be, exactly, none lost and none twice. Only changes that move the counts across a status count.
    /// </summary>
    public async Task<List<string>> TransitionsAsync(string streamArn, string productId, string warehouseId = "main")
    {
        static string? Status(JsonNode? image)
        {
            if (image?["available_count"]?["N"] is not { } available || image["threshold_level"]?["N"] is not { } threshold)
            {
                return null;
            }

            return Inventory.Api.Domain.StockRules.StatusFor(
                long.Parse(available.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                long.Parse(threshold.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToString();
        }

        return (await ReadAllAsync(streamArn))
            .Select(r => r["dynamodb"]!)
            .Where(d => d["Keys"]?["product_id"]?["S"]?.GetValue<string>() == productId && d["Keys"]?["warehouse_id"]?["S"]?.GetValue<string>() == warehouseId)
            .Select(d => (Old: Status(d["OldImage"]), New: Status(d["NewImage"])))
            .Where(t => t.Old is not null && t.New is not null && t.Old != t.New)
            .Select(t => $"{t.Old}>{t.New}")
            .ToList();
    }

    private async Task<JsonObject> CallAsync(string operation, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, serviceUrl)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", $"DynamoDBStreams_20120810.{operation}");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential=local/{DateTime.UtcNow:yyyyMMdd}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{operation}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
