using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Inventory.Bench;

/// <summary>One DynamoDB request the service sent, with what AWS would bill for it (see <see cref="CostRecordingProxy"/>).</summary>
public sealed record RecordedCall(
    int Seq, string Service, string Operation, string Table, string RequestBody, string ResponseBody,
    double ReadUnits, double WriteUnits, string Note, double? ReportedUnits)
{
    public bool IsStreamsApi => Service.StartsWith("DynamoDBStreams", StringComparison.Ordinal);

    /// <summary>The local stream reader's own bookkeeping (on AWS the event source mapping keeps its position for free).</summary>
    public bool IsCheckpoint => RequestBody.Contains("stream-checkpoints", StringComparison.Ordinal);
}

/// <summary>
/// An HTTP proxy between the service and DynamoDB Local that keeps every request (X-Amz-Target, JSON body, response
/// body) and prices it in request units the way DynamoDB on-demand bills them. DynamoDB Local reports no consumed
/// capacity worth trusting, so the sizes are computed here from the items themselves: for a write, the larger of the
/// item before and after (both read straight from DynamoDB Local around the forwarded request); for a read, the full
/// item(s) returned (GetItem with a projection is re-read in full, since the projection does not lower the bill).
/// </summary>
public sealed class CostRecordingProxy : IAsyncDisposable
{
    private static readonly HttpClient Upstream = new();
    private readonly WebApplication app;
    private readonly Uri upstream;
    private readonly List<RecordedCall> calls = [];
    private readonly Dictionary<string, string[]> keySchemas = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim writes = new(1, 1);
    private int seq;

    private CostRecordingProxy(WebApplication app, Uri upstream)
    {
        this.app = app;
        this.upstream = upstream;
    }

    public Uri Address { get; private set; } = null!;

    public int Count { get { lock (calls) { return seq; } } }

    public IReadOnlyList<RecordedCall> Since(int mark)
    {
        lock (calls)
        {
            return calls.Where(c => c.Seq >= mark).OrderBy(c => c.Seq).ToList();
        }
    }

    public static async Task<CostRecordingProxy> StartAsync(string dynamoUrl)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new CostRecordingProxy(app, new Uri(dynamoUrl));
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        proxy.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    private async Task ForwardAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var target = http.Request.Headers["x-amz-target"].ToString();
        var service = target.Contains('.') ? target[..target.IndexOf('.')] : target;
        var operation = target[(target.IndexOf('.') + 1)..];
        var auth = http.Request.Headers.Authorization.ToString();
        var isWrite = !service.StartsWith("DynamoDBStreams", StringComparison.Ordinal)
            && operation is "PutItem" or "UpdateItem" or "DeleteItem" or "TransactWriteItems" or "BatchWriteItem";

        // Writes are forwarded one at a time so the sizes read before and after belong to this write alone.
        if (isWrite)
        {
            await writes.WaitAsync();
        }

        try
        {
            List<(string Table, string Key)> keys = [];
            Dictionary<string, long> before = [];
            if (isWrite)
            {
                keys = await WrittenKeysAsync(operation, body, auth);
                foreach (var k in keys)
                {
                    before[k.Table + k.Key] = await ItemSizeAsync(k.Table, k.Key, auth);
                }
            }

            // As a cross-check only, DynamoDB Local is asked for the capacity it would report (the service's answer
            // then carries it too; nothing in the service reads it).
            var forwarded = body;
            if (!service.StartsWith("DynamoDBStreams", StringComparison.Ordinal) && operation is not "DescribeTable" and not "CreateTable"
                && body.Length > 1 && body[0] == (byte)'{' && !Encoding.UTF8.GetString(body).Contains("ReturnConsumedCapacity", StringComparison.Ordinal))
            {
                forwarded = Encoding.UTF8.GetBytes("{\"ReturnConsumedCapacity\":\"TOTAL\"," + Encoding.UTF8.GetString(body)[1..]);
            }

            var answer = await DynamoForwarding.SendAsync(http, upstream, forwarded);
            var responseBytes = answer.Body;
            var succeeded = answer.Status is >= 200 and < 300;

            double rru = 0, wru = 0;
            var note = "";
            var requestText = Encoding.UTF8.GetString(body);
            var responseText = Encoding.UTF8.GetString(responseBytes);
            var table = "";
            try
            {
                using var req = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
                table = req.RootElement.TryGetProperty("TableName", out var t) ? t.GetString() ?? "" : "";
                if (!succeeded)
                {
                    note = "failed " + answer.Status;
                }

                if (isWrite)
                {
                    var factor = operation == "TransactWriteItems" ? 2 : 1;
                    foreach (var k in keys)
                    {
                        var after = await ItemSizeAsync(k.Table, k.Key, auth);
                        var size = Math.Max(before[k.Table + k.Key], after);
                        wru += factor * Math.Max(1, Math.Ceiling(size / 1024.0));
                        note += $"{k.Table}:{Math.Max(before[k.Table + k.Key], after)}B ";
                    }

                    if (table == "" && keys.Count > 0)
                    {
                        table = string.Join(",", keys.Select(k => k.Table).Distinct());
                    }
                }
                else if (!service.StartsWith("DynamoDBStreams", StringComparison.Ordinal) && succeeded)
                {
                    (rru, var readNote) = await ReadUnitsAsync(operation, req.RootElement, responseBytes, auth);
                    note += readNote;
                }
            }
            catch (JsonException)
            {
                note = "unparsed";
            }

            double? reported = null;
            try
            {
                using var parsed = JsonDocument.Parse(responseBytes.Length == 0 ? "{}"u8.ToArray() : responseBytes);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object && parsed.RootElement.TryGetProperty("ConsumedCapacity", out var consumed))
                {
                    reported = consumed.ValueKind == JsonValueKind.Array
                        ? consumed.EnumerateArray().Sum(c => c.TryGetProperty("CapacityUnits", out var u) ? u.GetDouble() : 0)
                        : consumed.TryGetProperty("CapacityUnits", out var units) ? units.GetDouble() : 0;
                }
            }
            catch (JsonException)
            {
            }

            lock (calls)
            {
                calls.Add(new RecordedCall(seq++, service, operation, table, requestText, responseText, rru, wru, note.Trim(), reported));
            }

            await DynamoForwarding.ReplyAsync(http, answer);
        }
        finally
        {
            if (isWrite)
            {
                writes.Release();
            }
        }
    }

    private async Task<(double Units, string Note)> ReadUnitsAsync(string operation, JsonElement request, byte[] responseBytes, string auth)
    {
        using var response = JsonDocument.Parse(responseBytes);
        var root = response.RootElement;
        static double Half(JsonElement r) => r.TryGetProperty("ConsistentRead", out var c) && c.GetBoolean() ? 1 : 0.5;
        switch (operation)
        {
            case "GetItem":
            {
                long size;
                if (request.TryGetProperty("ProjectionExpression", out _) || request.TryGetProperty("AttributesToGet", out _))
                {
                    size = await ItemSizeAsync(request.GetProperty("TableName").GetString()!, request.GetProperty("Key").GetRawText(), auth);
                }
                else
                {
                    size = root.TryGetProperty("Item", out var item) ? ItemSize.Of(item) : 0;
                }

                return (Half(request) * Math.Max(1, Math.Ceiling(size / 4096.0)), $"{size}B");
            }

            case "Query" or "Scan":
            {
                var size = root.TryGetProperty("Items", out var items) ? items.EnumerateArray().Sum(ItemSize.Of) : 0;
                var projected = request.TryGetProperty("ProjectionExpression", out _) ? " (projected sizes)" : "";
                return (Half(request) * Math.Max(1, Math.Ceiling(size / 4096.0)), $"{size}B{projected}");
            }

            case "BatchGetItem":
            {
                double units = 0;
                var sizes = new List<long>();
                foreach (var table in request.GetProperty("RequestItems").EnumerateObject())
                {
                    var consistent = Half(table.Value);
                    foreach (var key in table.Value.GetProperty("Keys").EnumerateArray())
                    {
                        var size = await ItemSizeAsync(table.Name, key.GetRawText(), auth);
                        sizes.Add(size);
                        units += consistent * Math.Max(1, Math.Ceiling(size / 4096.0));
                    }
                }

                return (units, $"{sizes.Count} items, {sizes.Sum()}B");
            }

            case "TransactGetItems":
            {
                double units = 0;
                var total = 0L;
                foreach (var item in request.GetProperty("TransactItems").EnumerateArray())
                {
                    var get = item.GetProperty("Get");
                    var size = await ItemSizeAsync(get.GetProperty("TableName").GetString()!, get.GetProperty("Key").GetRawText(), auth);
                    total += size;
                    units += 2 * Math.Max(1, Math.Ceiling(size / 4096.0));
                }

                return (units, $"{total}B");
            }

            default:
                return (0, "control plane, not billed per request");
        }
    }

    /// <summary>The (table, key JSON) of every item a write touches.</summary>
    private async Task<List<(string Table, string Key)>> WrittenKeysAsync(string operation, byte[] body, string auth)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var keys = new List<(string, string)>();
        async Task Add(string table, JsonElement action, bool isPut)
        {
            if (!isPut)
            {
                keys.Add((table, action.GetProperty("Key").GetRawText()));
                return;
            }

            var item = action.GetProperty("Item");
            var names = await KeySchemaAsync(table, auth);
            var key = "{" + string.Join(",", names.Select(n => JsonSerializer.Serialize(n) + ":" + item.GetProperty(n).GetRawText())) + "}";
            keys.Add((table, key));
        }

        switch (operation)
        {
            case "TransactWriteItems":
                foreach (var entry in root.GetProperty("TransactItems").EnumerateArray())
                {
                    foreach (var action in entry.EnumerateObject())
                    {
                        await Add(action.Value.GetProperty("TableName").GetString()!, action.Value, action.Name == "Put");
                    }
                }

                break;
            case "BatchWriteItem":
                foreach (var table in root.GetProperty("RequestItems").EnumerateObject())
                {
                    foreach (var entry in table.Value.EnumerateArray())
                    {
                        if (entry.TryGetProperty("PutRequest", out var put))
                        {
                            await Add(table.Name, put, true);
                        }
                        else
                        {
                            await Add(table.Name, entry.GetProperty("DeleteRequest"), false);
                        }
                    }
                }

                break;
            default:
                await Add(root.GetProperty("TableName").GetString()!, root, operation == "PutItem");
                break;
        }

        return keys;
    }

    private async Task<string[]> KeySchemaAsync(string table, string auth)
    {
        lock (keySchemas)
        {
            if (keySchemas.TryGetValue(table, out var known))
            {
                return known;
            }
        }

        using var described = await RawAsync("DescribeTable", $"{{\"TableName\":{JsonSerializer.Serialize(table)}}}", auth);
        var names = described.RootElement.GetProperty("Table").GetProperty("KeySchema").EnumerateArray()
            .Select(k => k.GetProperty("AttributeName").GetString()!).ToArray();
        lock (keySchemas)
        {
            keySchemas[table] = names;
        }

        return names;
    }

    /// <summary>The billed size of the item stored under the key now (0 if none), read from DynamoDB Local directly.</summary>
    private async Task<long> ItemSizeAsync(string table, string key, string auth)
    {
        using var got = await RawAsync("GetItem", $"{{\"TableName\":{JsonSerializer.Serialize(table)},\"Key\":{key},\"ConsistentRead\":true}}", auth);
        return got.RootElement.TryGetProperty("Item", out var item) ? ItemSize.Of(item) : 0;
    }

    private async Task<JsonDocument> RawAsync(string operation, string body, string auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, upstream)
        {
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "DynamoDB_20120810." + operation);
        request.Headers.TryAddWithoutValidation("Authorization", auth);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        using var response = await Upstream.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>
/// An item's size as DynamoDB bills it, from its wire JSON: each attribute's name (UTF-8 bytes) plus its value.
/// Strings: UTF-8 bytes. Numbers: about 1 byte per two significant digits plus 1. Binary: raw bytes. Boolean and
/// null: 1. Lists and maps: 3 bytes plus their elements plus 1 byte per element. Sets: the sum of their elements.
/// An approximation of the documented rules (number sizes especially), good to a few bytes per attribute.
/// </summary>
public static class ItemSize
{
    public static long Of(JsonElement item) => item.EnumerateObject().Sum(a => Encoding.UTF8.GetByteCount(a.Name) + Value(a.Value));

    private static long Value(JsonElement value)
    {
        var typed = value.EnumerateObject().First();
        return typed.Name switch
        {
            "S" => Encoding.UTF8.GetByteCount(typed.Value.GetString()!),
            "N" => Number(typed.Value.GetString()!),
            "B" => Convert.FromBase64String(typed.Value.GetString()!).Length,
            "BOOL" or "NULL" => 1,
            "SS" => typed.Value.EnumerateArray().Sum(s => (long)Encoding.UTF8.GetByteCount(s.GetString()!)),
            "NS" => typed.Value.EnumerateArray().Sum(s => Number(s.GetString()!)),
            "BS" => typed.Value.EnumerateArray().Sum(s => (long)Convert.FromBase64String(s.GetString()!).Length),
            "L" => 3 + typed.Value.EnumerateArray().Sum(e => 1 + Value(e)),
            "M" => 3 + typed.Value.EnumerateObject().Sum(a => 1 + Encoding.UTF8.GetByteCount(a.Name) + Value(a.Value)),
            _ => 0,
        };
    }

    private static long Number(string n)
    {
        var digits = n.TrimStart('-').Replace(".", "", StringComparison.Ordinal).TrimStart('0').TrimEnd('0').Length;
        return (long)Math.Ceiling(Math.Max(1, digits) / 2.0) + 1;
    }
}
