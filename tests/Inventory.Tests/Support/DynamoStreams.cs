using System.Text.Json.Nodes;
using Inventory.Api.Projections;

namespace Inventory.Tests.Support;

/// <summary>Reads a table's whole stream from DynamoDB Local, through the service's own Streams client, for tests to check against.</summary>
public sealed class DynamoStreams(string serviceUrl)
{
    /// <summary>The region the tests' services sign with: DynamoDB Local keeps data per access key and region.</summary>
    private readonly LocalDynamoStreams streams = new(serviceUrl, "us-east-1");

    /// <summary>Every record on every shard of the table's latest stream, oldest first, in the Lambda/Pipes event shape.</summary>
    public async Task<List<JsonObject>> ReadAllAsync(string streamArn)
    {
        var records = new List<JsonObject>();
        foreach (var (shardId, _) in await streams.ShardsAsync(streamArn, CancellationToken.None))
        {
            string? iterator = await streams.IteratorAsync(streamArn, shardId, checkpoint: null, CancellationToken.None);
            for (var page = 0; iterator is not null && page < 100; page++)
            {
                using var result = await streams.GetRecordsAsync(iterator, CancellationToken.None);
                var batch = result.RootElement.GetProperty("Records").EnumerateArray().Select(r => JsonNode.Parse(r.GetRawText())!.AsObject()).ToList();
                records.AddRange(batch);
                iterator = batch.Count > 0 && result.RootElement.TryGetProperty("NextShardIterator", out var next) ? next.GetString() : null;
            }
        }

        return records;
    }

    /// <summary>The ids of the shards of the table's latest stream.</summary>
    public async Task<List<string>> ShardIdsAsync(string streamArn) =>
        (await streams.ShardsAsync(streamArn, CancellationToken.None)).Select(s => s.ShardId).ToList();

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
}
