// How many holds a second one product takes when DynamoDB's per-partition limit binds, with its row as one item and
// spread over 4 and 8 sub-rows (a hot product), side by side in one run, and what the shoppers beyond the limit are
// told. The limit is simulated by PartitionBudgetProxy, scaled down so it binds on one machine. Usage:
// make bench-partition (or: dotnet run ... -- partition [seconds per run] [shoppers] [write units per second]).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Inventory.Bench;

public static class PartitionLimitBenchmark
{
    private sealed record Run(int SubRows, double HoldsPerSecond, int Busy, int BusyWithoutRetryAfter, int Refused, int Other, double P50, double P99, long Throttled, long Held, long Reserved, bool InvariantsHold);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var shoppers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        var writeUnits = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 30;

        const string AdminKey = "bench-admin";
        PartitionBudgetProxy? proxy = null;
        await using var service = await BenchService.StartAsync((AdminKey, "Admin"), async dynamoUrl =>
        {
            proxy = await PartitionBudgetProxy.StartAsync(dynamoUrl, writeUnits, readUnitsPerSecond: writeUnits * 3);
            return proxy.Address.ToString().TrimEnd('/');
        });
        await using var budget = proxy!;
        using var http = service.Client(AdminKey, connections: shoppers + 4);

        Console.WriteLine($"One product, {shoppers} shoppers each holding one unit of warehouse main after another for {seconds} s per run; budget " +
            $"{writeUnits} write and {writeUnits * 3} read units a second per partition key. A throttled shopper waits its Retry-After, as a client does.");
        var runs = new List<Run>();
        foreach (var subRows in new[] { 1, 4, 8 })
        {
            runs.Add(await MeasureAsync(http, budget, subRows, seconds, shoppers));
        }

        Console.WriteLine();
        Console.WriteLine("| sub-rows | holds/s | vs 1 row | 503 storage_busy | 503 without Retry-After | 409 (false refusals) | other | p50 ms | p99 ms | requests throttled | holds answered = reserved | invariants |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.SubRows} | {r.HoldsPerSecond:F1} | {r.HoldsPerSecond / runs[0].HoldsPerSecond:F2}x | {r.Busy} | {r.BusyWithoutRetryAfter} | {r.Refused} | {r.Other} | {r.P50:F0} | {r.P99:F0} | {r.Throttled} | {r.Held} = {r.Reserved} | {(r.InvariantsHold ? "hold" : "VIOLATED")} |"));
        }

        return runs.All(r => r.Held == r.Reserved && r.InvariantsHold && r.Refused == 0 && r.Other == 0 && r.BusyWithoutRetryAfter == 0) ? 0 : 1;
    }

    private static async Task<Run> MeasureAsync(HttpClient http, PartitionBudgetProxy budget, int subRows, int seconds, int shoppers)
    {
        var sku = $"hot{subRows}-" + Guid.NewGuid().ToString("N")[..8];
        (await http.PostAsJsonAsync("/products", new { sku, name = sku, price = 1, threshold_level = 10 })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 1_000_000, expected_version = 1 })).EnsureSuccessStatusCode();
        if (subRows > 1)
        {
            (await http.PutAsJsonAsync($"/inventory/{sku}/hot", new { sub_rows = subRows })).EnsureSuccessStatusCode();
        }

        // Every instance reads the list of hot rows about once a second; and each run starts with full buckets.
        await Task.Delay(TimeSpan.FromSeconds(2));

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
                using var answer = await http.PostAsJsonAsync($"/inventory/{sku}/reserve",
                    new { quantity = 1, reservation_id = $"s{shopper}-{n}", warehouse_id = "main", ttl_seconds = 3600 });
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
        var throttled = budget.Throttled - throttledBefore;

        var row = await http.GetFromJsonAsync<JsonElement>($"/inventory/{sku}");
        var reserved = row.GetProperty("reserved_count").GetInt64();
        var report = await http.GetFromJsonAsync<JsonElement>($"/admin/invariants?product_id={sku}");
        var sorted = latencies.OrderBy(l => l).ToArray();
        double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {subRows} sub-row(s): {held / elapsed:F1} holds/s, {busy} told busy, {refused} refused"));
        return new Run(subRows, held / elapsed, busy, busyWithoutRetryAfter, refused, other, Percentile(0.5), Percentile(0.99), throttled, held, reserved,
            report.GetProperty("violations").GetArrayLength() == 0);
    }
}
