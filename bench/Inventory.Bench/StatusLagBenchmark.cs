// How far the stored status (and its alert, written in the same transaction) trails the write that moved it, locally:
// the local stream reader's poll, DynamoDB Local's stream, one read and one transaction. Usage: make bench-status-lag
// (or: dotnet run ... -- status-lag [transitions] [busy clients]).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api;
using Inventory.Api.Local;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Inventory.Bench;

public static class StatusLagBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var transitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400;
        var busyClients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;

        const string AdminKey = "bench-admin";
        await using var service = await BenchService.StartAsync((AdminKey, "Admin"));
        var app = service.App;
        using var http = service.Client(AdminKey, connections: 256);
        var dynamo = app.Services.GetRequiredService<IAmazonDynamoDB>();
        var table = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.InventoryTable;

        async Task<string> Product(long stock, long threshold)
        {
            var sku = "lag-" + Guid.NewGuid().ToString("N")[..10];
            (await http.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = threshold })).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = stock, expected_version = 1 })).EnsureSuccessStatusCode();
            return sku;
        }

        async Task<string?> StoredStatus(string sku) => (await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { ["product_id"] = new() { S = sku }, ["warehouse_id"] = new() { S = "main" } },
            ConsistentRead = true,
        })).Item.GetValueOrDefault("status")?.S;

        // Other rows kept busy meanwhile: every hold and release is a change record the reader has to go through.
        var busy = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            busy.Add(await Product(1_000_000, 10));
        }

        using var stop = new CancellationTokenSource();
        var busyWrites = 0;
        var load = Task.WhenAll(Enumerable.Range(0, busyClients).Select(async client =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var sku = busy[(client + n) % busy.Count];
                var id = $"busy-{client}-{n}";
                (await http.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id, warehouse_id = "main" })).EnsureSuccessStatusCode();
                (await http.DeleteAsync($"/inventory/{sku}/reserve/{id}")).EnsureSuccessStatusCode();
                Interlocked.Add(ref busyWrites, 2);
            }
        }));

        // Each measured write moves a row across its threshold (20 in stock, threshold 10: a hold of 11 makes it LOW,
        // its release IN again); the lag is from the write's answer to the first strongly consistent read that finds
        // the new status stored. Reads every 2 ms, so a figure is at most a read's time late.
        var rows = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            rows.Add(await Product(20, 10));
        }

        var lags = new List<double>();
        var running = Stopwatch.StartNew();
        for (var i = 0; i < transitions; i++)
        {
            var sku = rows[i / 2 % rows.Count];
            var id = $"t-{i / 2}";
            var hold = i % 2 == 0;
            using var response = hold
                ? await http.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 11, reservation_id = id, warehouse_id = "main" })
                : await http.DeleteAsync($"/inventory/{sku}/reserve/{id}");
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent))
            {
                throw new InvalidOperationException($"{(hold ? "hold" : "release")} answered {response.StatusCode}");
            }

            var answered = Stopwatch.StartNew();
            var wanted = hold ? "LOW_STOCK" : "IN_STOCK";
            while (await StoredStatus(sku) != wanted)
            {
                if (answered.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"{sku} still does not store {wanted} 30 s after the write");
                }

                await Task.Delay(2);
            }

            lags.Add(answered.Elapsed.TotalMilliseconds);
        }

        await stop.CancelAsync();
        await load;

        lags.Sort();
        double P(double q) => lags[Math.Min(lags.Count - 1, (int)Math.Ceiling(q * lags.Count) - 1)];
        Console.WriteLine($"Status lag benchmark: DynamoDB Local in memory, {Environment.ProcessorCount} cores, {busyClients} busy clients on other rows");
        Console.WriteLine($"{transitions} transitions in {running.Elapsed.TotalSeconds:F1} s, {busyWrites} other writes meanwhile ({busyWrites / running.Elapsed.TotalSeconds:F0}/s)");
        Console.WriteLine($"stored status and alert after the write (ms): p50 {P(0.50):F0}  p95 {P(0.95):F0}  p99 {P(0.99):F0}  max {lags[^1]:F0}");
        return 0;
    }
}
