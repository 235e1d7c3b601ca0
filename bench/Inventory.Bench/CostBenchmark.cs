// What each operation costs in DynamoDB terms: round trips on the request path and request units as on-demand bills
// them, from every request the service sends, recorded by a proxy in front of DynamoDB Local (CostRecordingProxy.cs),
// then a monthly estimate for one shop profile. Usage: make bench-cost (or: dotnet run ... -- cost).
using System.Globalization;
using System.Net.Http.Json;
using Inventory.Api;
using Inventory.Api.Local;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Inventory.Bench;

public static class CostBenchmark
{
    // us-east-1 on-demand list prices used for the estimate.
    private const double DollarsPerMillionWru = 0.625;
    private const double DollarsPerMillionRru = 0.125;
    private const double DollarsPerMillionLambdaAndApiGateway = 3.50;

    private sealed record Measured(string Name, IReadOnlyList<RecordedCall> Calls, string LowerBound)
    {
        public IEnumerable<RecordedCall> Billed => Calls.Where(c => !c.IsStreamsApi && !c.IsCheckpoint);
        public int RoundTrips => Billed.Count();
        public double Rru => Billed.Sum(c => c.ReadUnits);
        public double Wru => Billed.Sum(c => c.WriteUnits);
        public string Reported => Billed.Any(c => c.ReportedUnits is not null) ? Billed.Sum(c => c.ReportedUnits ?? 0).ToString("0.#", CultureInfo.InvariantCulture) : "-";
    }

    public static async Task<int> RunAsync(string[] args)
    {
        const string AdminKey = "bench-admin";
        using var dynamoLocal = await DynamoDbLocal.StartAsync(dataDirectory: null);
        await using var proxy = await CostRecordingProxy.StartAsync(dynamoLocal.ServiceUrl);
        var app = await InventoryApp.BuildAsync(
        [
            "--environment=Benchmark", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
            $"--Storage:ServiceUrl={proxy.Address.ToString().TrimEnd('/')}", "--Storage:CreateTables=true",
            "--RateLimiting:PermitsPerSecond=1000000", "--RateLimiting:Burst=1000000",
            "--ApiKeys:Keys:0:Name=bench", $"--ApiKeys:Keys:0:Key={AdminKey}", "--ApiKeys:Keys:0:Scope=Admin",
        ]);
        await InventoryApp.PrepareAsync(app);
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Add("x-api-key", AdminKey);
            return await MeasureAsync(http, proxy);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<int> MeasureAsync(HttpClient http, CostRecordingProxy proxy)
    {
        async Task<string> Product(string prefix)
        {
            var sku = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
            (await http.PostAsJsonAsync("/products", new { sku, name = "Bench product " + sku, price = 19.99, threshold_level = 5 })).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"/inventory/{sku}", new { stock_count = 1000, expected_version = 1 })).EnsureSuccessStatusCode();
            return sku;
        }

        // Every operation is measured on a product on which the same operation already ran once (warm caches, warm code).
        var skus = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            skus.Add(await Product("cost"));
        }

        var sku = skus[0];
        async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> call)
        {
            var response = await call;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            return response;
        }

        var check = new { items = skus.Select(s => new { sku = s, quantity = 1 }).ToArray() };
        Func<string, Task>[] cycle =
        [
            async id => await Ok(http.GetAsync($"/inventory/{sku}")),
            async id => await Ok(http.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id, warehouse_id = "main" })),
            async id => await Ok(http.PostAsJsonAsync($"/inventory/{sku}/reserve/{id}/extend", new { ttl_seconds = 1200 })),
            async id => await Ok(http.DeleteAsync($"/inventory/{sku}/reserve/{id}")),
            async id =>
            {
                await Ok(http.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id + "s", warehouse_id = "main" }));
            },
            async id => await Ok(http.PostAsJsonAsync($"/orders/order-{id}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = id + "s" } } })),
            async id => await Ok(http.PostAsJsonAsync("/inventory/check", check)),
            async id =>
            {
                using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
                {
                    Content = JsonContent.Create(new { delta = 5, reason = "cycle count" }),
                };
                adjust.Headers.Add("idempotency-key", "adjust-" + id);
                await Ok(http.SendAsync(adjust));
            },
        ];

        // Warm-up: the whole cycle once, not reported.
        var warm = "warm-" + Guid.NewGuid().ToString("N")[..6];
        foreach (var step in cycle)
        {
            await step(warm);
        }

        await QuietAsync(proxy);

        var id = "hold-" + Guid.NewGuid().ToString("N")[..6];
        string[] names = ["product page read (GET /inventory/{id})", "hold (POST .../reserve)", "extend", "release", "(hold for the sale, not reported)", "sale (POST /orders/{id}/fulfil)", "check of 10 items", "admin adjustment"];
        // What each operation must do at least, and why the measured numbers may sit above it.
        string[] bounds =
        [
            "one read of the product's rows: 0.5 RRU eventually consistent; the service reads strongly consistent (1 RRU) so a page never shows stock older than a write",
            "take units + create the reservation atomically: one 2-item transaction (4 WRU) - met",
            "move a held reservation's expiry: one conditional UpdateItem (1 WRU), whose condition carries every rule (active, not expired, the caller's own, later) - met",
            "the held quantity lives only in the reservation, so one read + one 2-item transaction (1 RRU, 4 WRU) - met",
            "",
            "read the hold's quantity + one transaction converting it and recording the order once (1 RRU, 6 WRU); the order-id read is a fast path for replays",
            "10 rows under 4 KB: 5 RRU; one Query per product (10 trips, 1 RRU each, strongly consistent) since a product may have several warehouse rows",
            "change stock + keep the idempotency key atomically: one 2-item transaction (4 WRU); the row is read back for the answer (1 RRU, 1 trip)",
        ];
        var results = new List<Measured>();
        var streamWork = new Dictionary<int, Measured>();
        string[] streamNames = ["", "stream work after a hold", "stream work after an extend", "stream work after a release", "", "stream work after a sale", "", "stream work after an adjustment"];
        const string StreamBound = "the change's stock history entry: one 1-item write (1 WRU); a status change across a threshold would add a read + a status/alert transaction";
        for (var i = 0; i < cycle.Length; i++)
        {
            var mark = proxy.Count;
            await cycle[i](id);
            var during = proxy.Since(mark);
            if (i != 4)
            {
                results.Add(new Measured(names[i], during.Where(c => !IsStreamHandler(c)).ToList(), bounds[i]));
            }

            var after = proxy.Count;
            await QuietAsync(proxy);
            if (streamNames[i].Length > 0)
            {
                // The reader may pick the change up before the request has answered: its writes are told apart by table.
                streamWork[i] = new Measured(streamNames[i], during.Where(IsStreamHandler).Concat(proxy.Since(after)).ToList(),
                    i == 2 ? "nothing: an extend changes no stock row" : StreamBound);
            }
        }

        Console.WriteLine("DynamoDB cost per operation (warm service, DynamoDB Local in memory, every request recorded by a proxy)");
        Console.WriteLine($"{"operation",-42} {"trips",5} {"RRU",6} {"WRU",6} {"local",6}  requests (operation table: billed size)");
        foreach (var m in results.Concat(streamWork.OrderBy(w => w.Key).Select(w => w.Value)))
        {
            Console.WriteLine($"{m.Name,-42} {m.RoundTrips,5} {m.Rru,6:0.#} {m.Wru,6:0.#} {m.Reported,6}  " +
                string.Join("; ", m.Billed.Select(c => $"{c.Operation} {c.Table}{(c.Note.Length > 0 ? ": " + c.Note : "")}{(c.ReportedUnits is { } r ? $" [local {r:0.#}]" : "")}")));
            Console.WriteLine($"{"",-42} lower bound: {m.LowerBound}");
        }

        Console.WriteLine("(local: the capacity units DynamoDB Local itself reports with ReturnConsumedCapacity=TOTAL, added by the proxy as a cross-check; - if none)");
        var polls = streamWork[1].Calls.Count(c => c.IsStreamsApi);
        var checkpoints = streamWork[1].Calls.Count(c => c.IsCheckpoint);
        Console.WriteLine($"stream reader in the window after the hold: {polls} DynamoDB Streams calls (GetRecords/GetShardIterator/DescribeStream; " +
            $"free when Lambda reads the stream on AWS), {checkpoints} checkpoint writes/reads (local reader only; not counted above)");

        // Monthly estimate for one shop profile.
        var byName = results.ToDictionary(m => m.Name);
        var view = byName[names[0]];
        var hold = byName[names[1]];
        var release = byName[names[3]];
        var sale = byName[names[5]];
        const double Days = 30;
        const double Views = 1_000_000, Holds = 100_000, Orders = 30_000;
        // Every hold either becomes a sale or is released (an expired hold is priced as a release), each with its stream work.
        var released = Holds - Orders;
        var rru = Days * (Views * view.Rru + Holds * (hold.Rru + streamWork[1].Rru) + Orders * (sale.Rru + streamWork[5].Rru) + released * (release.Rru + streamWork[3].Rru));
        var wru = Days * (Views * view.Wru + Holds * (hold.Wru + streamWork[1].Wru) + Orders * (sale.Wru + streamWork[5].Wru) + released * (release.Wru + streamWork[3].Wru));
        var requests = Days * (Views + Holds + Orders + released);
        var dynamoDollars = rru / 1e6 * DollarsPerMillionRru + wru / 1e6 * DollarsPerMillionWru;
        var requestDollars = requests / 1e6 * DollarsPerMillionLambdaAndApiGateway;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Monthly estimate (30 days; 1 M product views, 100 k holds, 30 k orders a day; the other 70 k holds released; us-east-1 on-demand: " +
            $"DynamoDB ${DollarsPerMillionWru} per million WRU, ${DollarsPerMillionRru} per million RRU, Lambda + API Gateway REST ${DollarsPerMillionLambdaAndApiGateway} per million requests)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  DynamoDB: {rru / 1e6:F1} M RRU = ${rru / 1e6 * DollarsPerMillionRru:F2}, {wru / 1e6:F1} M WRU = ${wru / 1e6 * DollarsPerMillionWru:F2}; " +
            $"requests: {requests / 1e6:F1} M = ${requestDollars:F2}; total ${dynamoDollars + requestDollars:F2} a month " +
            $"(storage, Lambda duration, data transfer and the stream's Lambda invocations not included)"));
        return 0;
    }

    private static readonly StorageOptions Tables = new();

    /// <summary>
    /// A request of the stream's change handler: none of the measured operations touches the stock history or the alerts (both come from
    /// the change stream), so calls on those tables are the handler's whenever they happen.
    /// </summary>
    private static bool IsStreamHandler(RecordedCall call) => !call.IsCheckpoint && !call.IsStreamsApi
        && call.Table.Split(',').Any(t => t == Tables.HistoryTable || t == Tables.AlertsTable);

    /// <summary>Waits until the service has sent nothing but stream polls for a second (the stream reader has caught up).</summary>
    private static async Task QuietAsync(CostRecordingProxy proxy)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var mark = proxy.Count;
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(1.5))
        {
            await Task.Delay(100);
            if (proxy.Since(mark).Any(c => !c.IsStreamsApi && !c.IsCheckpoint))
            {
                mark = proxy.Count;
                quietSince = DateTime.UtcNow;
            }
        }
    }
}
