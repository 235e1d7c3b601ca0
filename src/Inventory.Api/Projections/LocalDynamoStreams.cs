using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Inventory.Api.Projections;

/// <summary>
/// DynamoDB Local's Streams API, over its JSON protocol: the SDK's Streams client is not among the packages this
/// project can use. DynamoDB Local does not check signatures but keeps data per access key and region, so requests
/// name the service's own ("local" and the configured region). Used by the local stream reader and by the tests.
/// </summary>
public sealed class LocalDynamoStreams(string serviceUrl, string region)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly Uri endpoint = new(serviceUrl);

    /// <summary>Every shard of the stream, with its parent (a child's records follow its parent's).</summary>
    public async Task<List<(string ShardId, string? ParentId)>> ShardsAsync(string streamArn, CancellationToken ct)
    {
        var shards = new List<(string, string?)>();
        string? after = null;
        do
        {
            var request = new JsonObject { ["StreamArn"] = streamArn };
            if (after is not null)
            {
                request["ExclusiveStartShardId"] = after;
            }

            using var answer = await CallAsync("DescribeStream", request, ct);
            var description = answer.RootElement.GetProperty("StreamDescription");
            foreach (var shard in description.GetProperty("Shards").EnumerateArray())
            {
                shards.Add((shard.GetProperty("ShardId").GetString()!, shard.TryGetProperty("ParentShardId", out var parent) ? parent.GetString() : null));
            }

            after = description.TryGetProperty("LastEvaluatedShardId", out var last) ? last.GetString() : null;
        }
        while (after is not null);

        return shards;
    }

    /// <summary>An iterator after <paramref name="checkpoint"/>, or at the shard's oldest record without one.</summary>
    public async Task<string> IteratorAsync(string streamArn, string shardId, string? checkpoint, CancellationToken ct)
    {
        var request = new JsonObject
        {
            ["StreamArn"] = streamArn,
            ["ShardId"] = shardId,
            ["ShardIteratorType"] = checkpoint is null ? "TRIM_HORIZON" : "AFTER_SEQUENCE_NUMBER",
        };
        if (checkpoint is not null)
        {
            request["SequenceNumber"] = checkpoint;
        }

        using var answer = await CallAsync("GetShardIterator", request, ct);
        return answer.RootElement.GetProperty("ShardIterator").GetString()!;
    }

    /// <summary>Up to 1,000 records from the iterator, and the next iterator (none once a closed shard is read to its end); the caller disposes it.</summary>
    public Task<JsonDocument> GetRecordsAsync(string iterator, CancellationToken ct) =>
        CallAsync("GetRecords", new JsonObject { ["ShardIterator"] = iterator, ["Limit"] = 1000 }, ct);

    /// <summary>One call of the Streams API; the answer, parsed once, is the caller's to dispose.</summary>
    private async Task<JsonDocument> CallAsync(string operation, JsonObject body, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", $"DynamoDBStreams_20120810.{operation}");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential=local/{now.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)}/{region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0");
        using var response = await Http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var type = (JsonNode.Parse(text) as JsonObject)?["__type"]?.GetValue<string>() is { } full ? full[(full.LastIndexOf('#') + 1)..] : null;
            throw new StreamsException(type, $"DynamoDB Streams {operation} answered {(int)response.StatusCode}: {text}");
        }

        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
    }

    /// <summary>An error answer of the Streams API, with its type (ExpiredIteratorException, TrimmedDataAccessException, …).</summary>
    public sealed class StreamsException(string? type, string message) : HttpRequestException(message)
    {
        public string? Type { get; } = type;
    }
}
