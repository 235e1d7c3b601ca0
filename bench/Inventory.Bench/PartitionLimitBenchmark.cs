// How many holds a second one product takes when DynamoDB's per-partition limit binds, and what the shoppers beyond it
// are told. The limit is simulated by PartitionBudgetProxy, scaled down so it binds on one machine; the figure to
// compare is holds per second against the budget (on AWS: 1,000 write units a second per partition). Usage:
// make bench-partition (or: dotnet run ... -- partition [seconds] [shoppers] [write units per second]).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace Inventory.Bench;

public static class PartitionLimitBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        var shoppers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var writeUnits = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 100;

        const string AdminKey = "bench-admin";
        PartitionBudgetProxy? proxy = null;
        await using var service = await BenchService.StartAsync((AdminKey, "Admin"), async dynamoUrl =>
        {
            proxy = await PartitionBudgetProxy.StartAsync(dynamoUrl, writeUnits, readUnitsPerSecond: writeUnits * 3);
            return proxy.Address.ToString().TrimEnd('/');
        });
        await using var budget = proxy!;
        using var http = service.Client(AdminKey, connections: shoppers + 4);

        var sku = "hot-" + Guid.NewGuid().ToString("N")[..10];
        (await http.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = 10 })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 1_000_000, expected_version = 1 })).EnsureSuccessStatusCode();

        Console.WriteLine($"One product, {shoppers} shoppers holding one unit each, as fast as answers come, for {seconds} s; budget {writeUnits} write and " +
            $"{writeUnits * 3} read units a second per partition key (a throttled shopper waits its Retry-After, as a client does).");
        var held = 0;
        var busy = 0;
        var busyWithoutRetryAfter = 0;
        var refused = 0;
        var other = 0;
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var throttledBefore = budget.Throttled;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, shoppers).Select(async shopper =>
        {
            for (var n = 0; clock.Elapsed.TotalSeconds < seconds; n++)
            {
                var started = Stopwatch.GetTimestamp();
                using var answer = await http.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"s{shopper}-{n}", ttl_seconds = 3600 });
                switch (answer.StatusCode)
                {
                    case HttpStatusCode.Created:
                        Interlocked.Increment(ref held);
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        break;
                    case HttpStatusCode.ServiceUnavailable:
                        Interlocked.Increment(ref busy);
                        if (answer.Headers.RetryAfter?.Delta is { } wait)
                        {
                            await Task.Delay(wait);
                        }
                        else
                        {
                            Interlocked.Increment(ref busyWithoutRetryAfter);
                        }

                        break;
                    case HttpStatusCode.Conflict:
                        Interlocked.Increment(ref refused);
                        break;
                    default:
                        Interlocked.Increment(ref other);
                        break;
                }
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;

        var row = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/inventory/{sku}");
        var reserved = row.GetProperty("reserved_count").GetInt64();
        var sorted = latencies.OrderBy(l => l).ToArray();
        double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        Console.WriteLine();
        Console.WriteLine("| sub-rows | holds/s | budget holds/s | 503 storage_busy | 503 without Retry-After | 409 (false refusals) | other | p50 ms | p99 ms | requests throttled by DynamoDB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| 1 | {held / elapsed:F1} | {writeUnits / 2:F0} | {busy} | {busyWithoutRetryAfter} | {refused} | {other} | {Percentile(0.5):F0} | {Percentile(0.99):F0} | {budget.Throttled - throttledBefore} |"));
        Console.WriteLine();
        Console.WriteLine($"Held {held}, reserved_count {reserved}: {(held == reserved ? "every hold answered is on the row" : "MISMATCH")}.");
        return held == reserved && refused == 0 && other == 0 && busyWithoutRetryAfter == 0 ? 0 : 1;
    }
}
