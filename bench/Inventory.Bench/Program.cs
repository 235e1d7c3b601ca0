// Measures the service over real HTTP against DynamoDB Local, and the same storage operations called
// directly (no HTTP, no auth, no JSON) in the same run, so the service's own overhead shows as a ratio.
// Usage: make bench   (or: dotnet run --project bench/Inventory.Bench -c Release -- [concurrency] [operations])
// The scheduled jobs have their own run: make bench-jobs (JobsBenchmark.cs); cold starts: make bench-coldstart (ColdStartBenchmark.cs);
// what each kind of DynamoDB Local request costs: make bench-requests (RequestCostBenchmark.cs); how far the stored
// status trails the writes: make bench-status-lag (StatusLagBenchmark.cs); product search over 100,000 products: make
// bench-search (SearchBenchmark.cs); DynamoDB round trips and request units per operation: make bench-cost (CostBenchmark.cs);
// one product's holds per second under the per-partition limit: make bench-partition (PartitionLimitBenchmark.cs);
// a 10,000-line stock import: make bench-import (ImportBenchmark.cs).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Inventory.Api;
using Inventory.Bench;
using Inventory.Api.Local;
using Inventory.Api.Domain;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

if (args is ["jobs", .. var jobArgs])
{
    return await JobsBenchmark.RunAsync(jobArgs);
}

if (args is ["requests", .. var requestArgs])
{
    return await RequestCostBenchmark.RunAsync(requestArgs);
}

if (args is ["status-lag", .. var lagArgs])
{
    return await StatusLagBenchmark.RunAsync(lagArgs);
}

if (args is ["search", .. var searchArgs])
{
    return await SearchBenchmark.RunAsync(searchArgs);
}

if (args is ["cost", .. var costArgs])
{
    return await CostBenchmark.RunAsync(costArgs);
}

if (args is ["partition", .. var partitionArgs])
{
    return await PartitionLimitBenchmark.RunAsync(partitionArgs);
}

if (args is ["import", .. var importArgs])
{
    return await ImportBenchmark.RunAsync(importArgs);
}

if (args is ["coldstart", .. var coldStartArgs])
{
    return await ColdStartBenchmark.RunAsync(coldStartArgs);
}

var concurrency = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 32;
var operations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 6000;

using var dynamo = await DynamoDbLocal.StartAsync(dataDirectory: null);
const string AdminKey = "bench-admin";
var app = await InventoryApp.BuildAsync(
[
    "--environment=Benchmark", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
    $"--Storage:ServiceUrl={dynamo.ServiceUrl}", "--Storage:CreateTables=true",
    "--RateLimiting:PermitsPerSecond=1000000", "--RateLimiting:Burst=1000000",
    "--ApiKeys:Keys:0:Name=bench", $"--ApiKeys:Keys:0:Key={AdminKey}", "--ApiKeys:Keys:0:Scope=Admin",
]);
await InventoryApp.PrepareAsync(app);
await app.StartAsync();
var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = baseAddress };
http.DefaultRequestHeaders.Add("x-api-key", AdminKey);
var inventory = app.Services.GetRequiredService<InventoryStore>();
var reservations = app.Services.GetRequiredService<HoldCommands>();
// The stock history names the storage calls made without a request (and so without a key) "bench".
var bench = new Inventory.Api.Domain.Actor("bench", ActsForAnyone: true);

async Task<string> Product(long stock)
{
    var sku = "bench-" + Guid.NewGuid().ToString("N")[..10];
    (await http.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = 5 })).EnsureSuccessStatusCode();
    (await http.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = stock, expected_version = 1 })).EnsureSuccessStatusCode();
    return sku;
}

// Many products, so the numbers measure the service rather than one hot DynamoDB item.
var skus = new List<string>();
for (var i = 0; i < 64; i++)
{
    skus.Add(await Product(1_000_000));
}

Console.WriteLine($"Inventory service benchmark: concurrency {concurrency}, {operations} operations per scenario, DynamoDB Local in memory, {Environment.ProcessorCount} cores");
Console.WriteLine($"{"scenario",-34} {"ops/s",9} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8}");

await Run("warm-up (not reported)", operations / 4, async i => await http.GetAsync($"/inventory/{skus[i % skus.Count]}"), report: false);
var httpGet = await Run("HTTP GET /inventory/{id}", operations, async i => await http.GetAsync($"/inventory/{skus[i % skus.Count]}"));
var sdkGet = await Run("SDK  query rows (same read)", operations, async i => { await inventory.GetRowsAsync(skus[i % skus.Count], default); return null; });
var httpHold = await Run("HTTP reserve + release", operations, async i =>
{
    var sku = skus[i % skus.Count];
    var id = "h" + i.ToString(CultureInfo.InvariantCulture);
    var reserve = await http.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id, warehouse_id = "main" });
    if (reserve.StatusCode != HttpStatusCode.Created)
    {
        return reserve;
    }

    return await http.DeleteAsync($"/inventory/{sku}/reserve/{id}");
});
var sdkHold = await Run("SDK  reserve + release (same ops)", operations, async i =>
{
    var sku = skus[i % skus.Count];
    var id = "s" + i.ToString(CultureInfo.InvariantCulture);
    await reservations.ReserveAsync(id, [new ReserveItem(sku, "main", 1)], 900, bench, default);
    await reservations.ReleaseAsync(sku, id, bench, default);
    return null;
});

Console.WriteLine();
Console.WriteLine($"HTTP/SDK throughput ratio: GET {httpGet / sdkGet:P0}, reserve+release {httpHold / sdkHold:P0} (aim: at least 70%)");

// One stable line for scripts and for the dated table in docs/benchmarks.md.
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ratio service/direct: get={httpGet / sdkGet:F2} reserve_release={httpHold / sdkHold:F2}"));

// Flash sale: 2,000 shoppers, 100 at a time, one hot SKU with 200 units.
var flash = await Product(200);
var outcomes = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
var flashTime = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 100 }, async (i, ct) =>
{
    using var response = await http.PostAsJsonAsync($"/inventory/{flash}/reserve", new { quantity = 1, reservation_id = $"fan-{i}" }, ct);
    outcomes.Add(response.StatusCode);
});
flashTime.Stop();
var won = outcomes.Count(s => s == HttpStatusCode.Created);
var refused = outcomes.Count(s => s == HttpStatusCode.Conflict);
var report = await app.Services.GetRequiredService<InvariantChecker>().CheckAsync([flash], default);
Console.WriteLine($"Flash sale: 2000 attempts by 100 concurrent clients on 200 units: {won} reserved, {refused} refused (409), " +
    $"{outcomes.Count - won - refused} other, {flashTime.Elapsed.TotalSeconds:F2} s, invariants {(report.Holds ? "hold" : "VIOLATED")}");

await app.StopAsync();
return won == 200 && refused == 1800 && report.Holds ? 0 : 1;

async Task<double> Run(string name, int count, Func<int, Task<HttpResponseMessage?>> operation, bool report = true)
{
    var latencies = new double[count];
    var failures = 0;
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await operation(i);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (response is { IsSuccessStatusCode: false })
            {
                Interlocked.Increment(ref failures);
            }
        }
    }));
    clock.Stop();
    Array.Sort(latencies);
    var throughput = count / clock.Elapsed.TotalSeconds;
    if (report)
    {
        double P(double q) => latencies[Math.Min(count - 1, (int)(q * count))];
        Console.WriteLine($"{name,-34} {throughput,9:F0} {P(0.50),8:F2} {P(0.95),8:F2} {P(0.99),8:F2}" + (failures > 0 ? $"  ({failures} failed)" : ""));
    }

    return throughput;
}
