using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The service killed with SIGKILL while writes race across thresholds, then started again on the same tables: the
/// stream reader resumes from its checkpoint, and every row's alerts still form one chain ending at its stored
/// status, none lost and none twice. Runs alone with the other contention tests.
/// </summary>
[Collection(nameof(ContentionTests))]
public class CrashTests
{
    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task A_kill_9_during_racing_writes_loses_no_alert_and_duplicates_none()
    {
        var prefix = "k" + Guid.NewGuid().ToString("N")[..10];
        var dynamoUrl = await SharedDynamoDb.ServiceUrlAsync();
        var args = ProcessArgs(prefix, dynamoUrl);

        var skus = Enumerable.Range(0, 4).Select(i => $"crash-{prefix}-{i}").ToArray();
        await using (var first = await ServiceProcess.StartAsync(args))
        {
            using var admin = Client(first.Address);
            foreach (var sku in skus)
            {
                (await admin.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = 20 })).EnsureSuccessStatusCode();
                (await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 40, expected_version = 1 })).EnsureSuccessStatusCode();
            }

            // Racing holds and releases across the threshold until well after the kill; calls cut off by it just fail.
            using var stop = new CancellationTokenSource();
            var answered = 0;
            var load = RaceAsync(first.Address, skus, "a", () => Interlocked.Increment(ref answered), stop.Token);
            await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref answered) >= 400), "the first service has answered 400 writes");
            await first.KillAsync();
            await stop.CancelAsync();
            await load;
        }

        await using var second = await ServiceProcess.StartAsync(args);
        using var staff = Client(second.Address);
        using (var stop = new CancellationTokenSource())
        {
            var answered = 0;
            var load = RaceAsync(second.Address, skus, "b", () => Interlocked.Increment(ref answered), stop.Token);
            await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref answered) >= 200), "the second service has answered 200 writes");
            await stop.CancelAsync();
            await load;
        }

        using var dynamo = FaultInjectingDynamoDb.For(dynamoUrl);
        foreach (var sku in skus)
        {
            // Exactly the moves the counts made, in order: none lost to the kill, none written twice after it.
            var streamArn = (await dynamo.DescribeTableAsync($"{prefix}-inventory")).Table.LatestStreamArn;
            var moves = await new DynamoStreams(dynamoUrl).TransitionsAsync(streamArn, sku);
            var alerts = await StatusStreamTests.AlertsOnceTheStreamIsHandledAsync(() => AlertsAsync(staff, sku), moves);
            var stored = await Eventually.ValueAsync(() => StoredStatusAsync(dynamoUrl, $"{prefix}-inventory", sku), s => s.Stored == s.Implied, $"{sku} stores the status its counts imply");
            StatusStreamTests.AssertOneChain(alerts, "OUT_OF_STOCK", stored.Stored, minimum: 3);
            var report = await TestService.ReadJsonAsync(await staff.GetAsync($"/admin/invariants?product_id={sku}"));
            Assert.True(report.GetProperty("violations").GetArrayLength() == 0, report.ToString());
        }
    }

    /// <summary>
    /// DynamoDB Local, started again on its data directory after 30 hours without a write, deletes every change record
    /// and numbers new ones from 1 again, in the same shard: the reader's checkpoint then names a record far "ahead" of
    /// every new one. Simulated with a checkpoint saved two days ago at a high sequence number.
    /// </summary>
    [Fact]
    public async Task A_checkpoint_older_than_the_stream_keeps_records_does_not_blind_the_reader()
    {
        var prefix = "n" + Guid.NewGuid().ToString("N")[..10];
        var dynamoUrl = await SharedDynamoDb.ServiceUrlAsync();
        var args = ProcessArgs(prefix, dynamoUrl);
        var sku = $"renumbered-{prefix}";
        await using (var first = await ServiceProcess.StartAsync(args))
        {
            using var admin = Client(first.Address);
            (await admin.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = 5 })).EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 10, expected_version = 1 })).EnsureSuccessStatusCode();
            await Eventually.ValueAsync(() => StoredStatusAsync(dynamoUrl, $"{prefix}-inventory", sku), s => s.Stored == "IN_STOCK", "the first service stores IN_STOCK");
        }

        using var dynamo = FaultInjectingDynamoDb.For(dynamoUrl);
        var streamArn = (await dynamo.DescribeTableAsync($"{prefix}-inventory")).Table.LatestStreamArn;
        foreach (var shard in await new DynamoStreams(dynamoUrl).ShardIdsAsync(streamArn))
        {
            await dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = $"{prefix}-alerts",
                Item = new()
                {
                    ["alert_stream"] = new() { S = "stream-checkpoints" },
                    ["alert_key"] = new() { S = $"{streamArn}|{shard}" },
                    ["sequence_number"] = new() { S = "000000000000099999999" },
                    ["updated_at"] = new() { S = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture) },
                },
            });
        }

        await using var second = await ServiceProcess.StartAsync(args);
        using var staff = Client(second.Address);
        (await staff.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "after-restart", warehouse_id = "main" })).EnsureSuccessStatusCode();

        var stored = await Eventually.ValueAsync(() => StoredStatusAsync(dynamoUrl, $"{prefix}-inventory", sku), s => s.Stored == s.Implied, "the second service's reader stores LOW_STOCK");
        Assert.Equal("LOW_STOCK", stored.Stored);
        StatusStreamTests.AssertOneChain(await AlertsAsync(staff, sku), "OUT_OF_STOCK", "LOW_STOCK", minimum: 2);
    }

    /// <summary>A service process on its own tables (named by <paramref name="prefix"/>) in the shared DynamoDB Local.</summary>
    internal static string[] ProcessArgs(string prefix, string dynamoUrl) =>
    [
        "--environment=Testing", $"--Storage:ServiceUrl={dynamoUrl}", "--Storage:CreateTables=true", "--Storage:RequestTimeoutSeconds=30",
        $"--Storage:InventoryTable={prefix}-inventory", $"--Storage:ReservationsTable={prefix}-reservations",
        $"--Storage:ProductsTable={prefix}-products", $"--Storage:ProductSearchTable={prefix}-product-search", $"--Storage:IdempotencyTable={prefix}-idempotency",
        $"--Storage:AlertsTable={prefix}-alerts", $"--Storage:HistoryTable={prefix}-history", $"--Storage:VelocityTable={prefix}-velocity", $"--Storage:ShipmentsTable={prefix}-shipments", $"--Storage:ProcessedOrdersTable={prefix}-processed-orders",
        "--Logging:LogLevel:Default=Warning", "--RateLimiting:PermitsPerSecond=100000", "--RateLimiting:Burst=100000",
        "--Jobs:RunInProcess=true", "--Jobs:ThresholdCheckIntervalSeconds=3600",
        "--ApiKeys:Keys:0:Name=admin", $"--ApiKeys:Keys:0:Key={TestService.AdminKey}", "--ApiKeys:Keys:0:Scope=Admin",
    ];

    internal static HttpClient Client(Uri address)
    {
        var client = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", TestService.AdminKey);
        return client;
    }

    /// <summary>32 workers holding 1-3 units and releasing them, on rows of 40 with threshold 20: the rows cross IN, LOW and OUT.</summary>
    private static Task RaceAsync(Uri address, string[] skus, string run, Action answered, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, 32).Select(async worker =>
        {
            using var client = Client(address);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var sku = skus[(worker + n) % skus.Length];
                var id = $"{run}-{worker}-{n}";
                try
                {
                    using var hold = await client.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1 + (n % 3), reservation_id = id, warehouse_id = "main" });
                    answered();
                    Assert.True(hold.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"hold: {hold.StatusCode}");
                    if (hold.StatusCode == HttpStatusCode.Created && n % 4 != 0)
                    {
                        using var release = await client.DeleteAsync($"/inventory/{sku}/reserve/{id}");
                        answered();
                    }
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(10); // the service was killed under this call
                }
                catch (TaskCanceledException)
                {
                }
            }
        }));

    private static async Task<(string Stored, string Implied)> StoredStatusAsync(string dynamoUrl, string table, string sku)
    {
        using var dynamo = FaultInjectingDynamoDb.For(dynamoUrl);
        var item = (await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
            ConsistentRead = true,
        })).Item;
        long N(string name) => long.Parse(item[name].N, System.Globalization.CultureInfo.InvariantCulture);
        return (item["status"].S, StockRules.StatusFor(N("available_count"), N("threshold_level")).ToString());
    }

    private static async Task<List<JsonElement>> AlertsAsync(HttpClient staff, string sku)
    {
        var alerts = new List<JsonElement>();
        string? token = null;
        do
        {
            var page = await TestService.ReadJsonAsync(await staff.GetAsync("/admin/alerts?limit=100" + (token is null ? "" : "&next_token=" + token)));
            alerts.AddRange(page.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("product_id").GetString() == sku));
            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);

        alerts.Reverse();
        return alerts;
    }
}
