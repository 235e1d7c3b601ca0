using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inventory.Bench;

/// <summary>
/// An HTTP proxy between the service and DynamoDB Local that enforces DynamoDB's per-partition limit, scaled down so it
/// binds on one machine: each partition key value of each table gets a budget of write units and of read units per
/// second (on AWS: 1,000 and 3,000), held in a token bucket with one second of burst. A request that finds the bucket
/// of any key it touches empty is refused the way DynamoDB refuses it, and nothing of it is applied:
/// <c>ProvisionedThroughputExceededException</c> for a single-item or batch call, <c>TransactionCanceledException</c>
/// with a <c>ThrottlingError</c> reason for a transaction. The service's SDK and its own retries see exactly what they
/// would see on AWS.
/// <para>
/// Units are charged as DynamoDB charges them for this service's items, which are all under 1 KB (as
/// <c>make bench-cost</c> measured): one write unit per item written, two inside a transaction; half a read unit per
/// eventually consistent 4 KB read, one per strongly consistent, two inside a transaction; a query by the size of
/// what it returned. A write that fails its condition still costs its units, as on AWS. DynamoDB's adaptive capacity
/// and longer burst credit are left out: they soften a spike, they do not lift the per-item ceiling.
/// </para>
/// </summary>
public sealed class PartitionBudgetProxy : IAsyncDisposable
{
    private static readonly HttpClient Upstream = new();
    private readonly WebApplication app;
    private readonly Uri upstream;
    private readonly ConcurrentDictionary<string, string> hashKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private long throttled;

    private PartitionBudgetProxy(WebApplication app, Uri upstream, double writeUnitsPerSecond, double readUnitsPerSecond)
    {
        this.app = app;
        this.upstream = upstream;
        WriteUnitsPerSecond = writeUnitsPerSecond;
        ReadUnitsPerSecond = readUnitsPerSecond;
    }

    public Uri Address { get; private set; } = null!;

    public double WriteUnitsPerSecond { get; }

    public double ReadUnitsPerSecond { get; }

    /// <summary>Requests refused for throttling so far.</summary>
    public long Throttled => Interlocked.Read(ref throttled);

    public static async Task<PartitionBudgetProxy> StartAsync(string dynamoUrl, double writeUnitsPerSecond, double readUnitsPerSecond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new PartitionBudgetProxy(app, new Uri(dynamoUrl), writeUnitsPerSecond, readUnitsPerSecond);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var target = http.Request.Headers["x-amz-target"].ToString();
        var operation = target[(target.IndexOf('.') + 1)..];
        var auth = http.Request.Headers.Authorization.ToString();

        var charges = target.StartsWith("DynamoDB_", StringComparison.Ordinal) ? await ChargesAsync(operation, body, auth) : [];
        if (charges.Any(c => !BucketFor(c.Key, c.Write).HasUnits()))
        {
            Interlocked.Increment(ref throttled);
            await RefuseAsync(http, operation, body);
            return;
        }

        // Writes are paid before they are sent (their units are known, and a failed condition costs them too); reads
        // as soon as their size is known.
        foreach (var charge in charges.Where(c => c.Units > 0))
        {
            BucketFor(charge.Key, charge.Write).Take(charge.Units);
        }

        var answer = await DynamoForwarding.SendAsync(http, upstream, body);
        if (operation == "Query" && charges is [{ Write: false } query] && answer.Status == 200)
        {
            BucketFor(query.Key, write: false).Take(ReadUnits(answer.Body.Length, Consistent(body), transactional: false));
        }

        await DynamoForwarding.ReplyAsync(http, answer);
    }

    /// <summary>What a request costs, per partition key it touches (a query's units are charged once its answer is in).</summary>
    private async Task<List<Charge>> ChargesAsync(string operation, byte[] body, string auth)
    {
        using var json = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
        var root = json.RootElement;
        string Table() => root.GetProperty("TableName").GetString()!;
        var consistent = Consistent(body);
        var charges = new List<Charge>();
        switch (operation)
        {
            case "GetItem":
                charges.Add(new(await KeyAsync(Table(), root.GetProperty("Key"), auth), false, ReadUnits(0, consistent, false)));
                break;
            case "PutItem":
                charges.Add(new(await KeyAsync(Table(), root.GetProperty("Item"), auth), true, WriteUnits(root.GetProperty("Item"), false)));
                break;
            case "UpdateItem" or "DeleteItem":
                charges.Add(new(await KeyAsync(Table(), root.GetProperty("Key"), auth), true, 1));
                break;
            case "Query" when await QueriedKeyAsync(root, auth) is { } queried:
                charges.Add(new(queried, false, 0));
                break;
            case "TransactWriteItems":
                foreach (var action in root.GetProperty("TransactItems").EnumerateArray())
                {
                    var (kind, detail) = action.EnumerateObject().Select(p => (p.Name, p.Value)).First();
                    var keyOrItem = kind == "Put" ? detail.GetProperty("Item") : detail.GetProperty("Key");
                    var key = await KeyAsync(detail.GetProperty("TableName").GetString()!, keyOrItem, auth);
                    charges.Add(kind == "ConditionCheck"
                        ? new(key, false, ReadUnits(0, consistent: true, transactional: true))
                        : new(key, true, kind == "Put" ? WriteUnits(keyOrItem, true) : 2));
                }

                break;
            case "TransactGetItems":
                foreach (var action in root.GetProperty("TransactItems").EnumerateArray())
                {
                    var get = action.GetProperty("Get");
                    charges.Add(new(await KeyAsync(get.GetProperty("TableName").GetString()!, get.GetProperty("Key"), auth), false, 2));
                }

                break;
            case "BatchGetItem":
                foreach (var table in root.GetProperty("RequestItems").EnumerateObject())
                {
                    var strong = table.Value.TryGetProperty("ConsistentRead", out var c) && c.GetBoolean();
                    foreach (var key in table.Value.GetProperty("Keys").EnumerateArray())
                    {
                        charges.Add(new(await KeyAsync(table.Name, key, auth), false, ReadUnits(0, strong, false)));
                    }
                }

                break;
            case "BatchWriteItem":
                foreach (var table in root.GetProperty("RequestItems").EnumerateObject())
                {
                    foreach (var request in table.Value.EnumerateArray())
                    {
                        var item = request.TryGetProperty("PutRequest", out var put) ? put.GetProperty("Item") : request.GetProperty("DeleteRequest").GetProperty("Key");
                        charges.Add(new(await KeyAsync(table.Name, item, auth), true, WriteUnits(item, false)));
                    }
                }

                break;
        }

        return charges;
    }

    private static bool Consistent(byte[] body) => Encoding.UTF8.GetString(body).Contains("\"ConsistentRead\":true", StringComparison.Ordinal);

    /// <summary>Half a unit per eventually consistent 4 KB (at least one block), one if strongly consistent, two in a transaction.</summary>
    private static double ReadUnits(long bytes, bool consistent, bool transactional) =>
        Math.Max(1, Math.Ceiling(bytes / 4096.0)) * (transactional ? 2 : consistent ? 1 : 0.5);

    /// <summary>One unit per 1 KB of the item (its JSON text is a close upper bound of its stored size), doubled in a transaction.</summary>
    private static double WriteUnits(JsonElement item, bool transactional) =>
        Math.Max(1, Math.Ceiling(item.GetRawText().Length / 1024.0)) * (transactional ? 2 : 1);

    /// <summary>"table/partition value" of an item or key.</summary>
    private async Task<string> KeyAsync(string table, JsonElement keyOrItem, string auth)
    {
        var hashKey = await HashKeyAsync(table, auth);
        return $"{table}/{keyOrItem.GetProperty(hashKey).GetRawText()}";
    }

    /// <summary>The partition a query reads: the value its key condition sets the hash key equal to.</summary>
    private async Task<string?> QueriedKeyAsync(JsonElement root, string auth)
    {
        var table = root.GetProperty("TableName").GetString()!;
        if (root.TryGetProperty("IndexName", out _) || !root.TryGetProperty("KeyConditionExpression", out var condition))
        {
            return null;
        }

        var hashKey = await HashKeyAsync(table, auth);
        var names = root.TryGetProperty("ExpressionAttributeNames", out var n) ? n : default;
        foreach (var part in condition.GetString()!.Split(" AND ", StringSplitOptions.TrimEntries))
        {
            var sides = part.Split('=', StringSplitOptions.TrimEntries);
            if (sides.Length != 2)
            {
                continue;
            }

            var name = sides[0].StartsWith('#') && names.ValueKind == JsonValueKind.Object ? names.GetProperty(sides[0]).GetString() : sides[0];
            if (name == hashKey)
            {
                return $"{table}/{root.GetProperty("ExpressionAttributeValues").GetProperty(sides[1]).GetRawText()}";
            }
        }

        return null;
    }

    private async Task<string> HashKeyAsync(string table, string auth)
    {
        if (hashKeys.TryGetValue(table, out var known))
        {
            return known;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, upstream)
        {
            Content = new StringContent($"{{\"TableName\":{JsonSerializer.Serialize(table)}}}", Encoding.UTF8, "application/x-amz-json-1.0"),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("x-amz-target", "DynamoDB_20120810.DescribeTable");
        request.Headers.TryAddWithoutValidation("authorization", auth);
        using var response = await Upstream.SendAsync(request);
        using var described = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var name = described.RootElement.GetProperty("Table").GetProperty("KeySchema").EnumerateArray()
            .First(k => k.GetProperty("KeyType").GetString() == "HASH").GetProperty("AttributeName").GetString()!;
        return hashKeys.GetOrAdd(table, name);
    }

    private Bucket BucketFor(string key, bool write) =>
        buckets.GetOrAdd((write ? "w:" : "r:") + key, _ => new Bucket(write ? WriteUnitsPerSecond : ReadUnitsPerSecond));

    /// <summary>Answers as DynamoDB answers a throttled request (HTTP 400 with the error type in the body).</summary>
    private static async Task RefuseAsync(HttpContext http, string operation, byte[] body)
    {
        string answer;
        if (operation == "TransactWriteItems")
        {
            using var json = JsonDocument.Parse(body);
            var count = json.RootElement.GetProperty("TransactItems").GetArrayLength();
            var reasons = Enumerable.Range(0, count).Select(i => i == 0
                ? new Dictionary<string, string> { ["Code"] = "ThrottlingError", ["Message"] = "Throughput exceeds the current capacity of your table or index." }
                : new Dictionary<string, string> { ["Code"] = "None" });
            answer = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["__type"] = "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                ["message"] = "Transaction cancelled, please refer cancellation reasons for specific reasons [ThrottlingError]",
                ["CancellationReasons"] = reasons,
            });
        }
        else
        {
            answer = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["__type"] = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                ["message"] = "The level of configured provisioned throughput for one or more partitions was exceeded.",
            });
        }

        http.Response.StatusCode = 400;
        http.Response.ContentType = "application/x-amz-json-1.0";
        await http.Response.WriteAsync(answer);
    }

    private sealed record Charge(string Key, bool Write, double Units);

    /// <summary>A partition's units: refilled continuously at the budget, holding at most one second of it.</summary>
    private sealed class Bucket(double perSecond)
    {
        private readonly Lock gate = new();
        private readonly double ceiling = perSecond;
        private double units = perSecond;
        private long refilledAt = Stopwatch.GetTimestamp();

        /// <summary>Whether a request may start: anything left (a request may take the bucket below zero, as its size is not known in advance).</summary>
        public bool HasUnits()
        {
            lock (gate)
            {
                Refill();
                return units > 0;
            }
        }

        public void Take(double taken)
        {
            lock (gate)
            {
                Refill();
                units -= taken;
            }
        }

        private void Refill()
        {
            var now = Stopwatch.GetTimestamp();
            units = Math.Min(ceiling, units + (ceiling * Stopwatch.GetElapsedTime(refilledAt, now).TotalSeconds));
            refilledAt = now;
        }
    }
}
