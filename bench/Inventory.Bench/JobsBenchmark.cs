// The two scheduled jobs at production-like sizes: the threshold check over 100,000 rows and the expiry sweep
// releasing 10,000 expired holds. Usage: make bench-jobs  (or: dotnet run ... -- jobs [rows] [holds])
using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api;
using Inventory.Api.Domain;
using Inventory.Api.Local;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Bench;

public static class JobsBenchmark
{
    /// <summary>One row in this many is stored with a stale status, for the check to repair.</summary>
    private const int StaleEvery = 50;

    private const int HoldProducts = 100;

    public static async Task<int> RunAsync(string[] args)
    {
        var rowCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var holdCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;

        using var dynamoLocal = await DynamoDbLocal.StartAsync(dataDirectory: null);
        var clock = new ShiftedClock();
        var app = await InventoryApp.BuildAsync(
        [
            "--environment=Benchmark", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
            $"--Storage:ServiceUrl={dynamoLocal.ServiceUrl}", "--Storage:CreateTables=true",
            // The benchmark decides when the jobs run; the stream would repair the seeded stale rows before the check.
            "--Jobs:RunInProcess=false", "--Jobs:ReadStreamInProcess=false", "--Storage:StatusRepairQuietSeconds=0",
        ], services => services.AddSingleton<TimeProvider>(clock));
        await InventoryApp.PrepareAsync(app);
        var dynamo = app.Services.GetRequiredService<IAmazonDynamoDB>();
        var inventoryTable = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.InventoryTable;

        Console.WriteLine($"Scheduled jobs benchmark: DynamoDB Local in memory, {Environment.ProcessorCount} cores");

        // Threshold check: rows written straight into the table, every 50th with a status its counts contradict.
        var seeding = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, rowCount).Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (chunk, ct) =>
        {
            var pending = chunk.Select(i => new WriteRequest { PutRequest = new PutRequest { Item = SeedRow(i, clock.GetUtcNow()) } }).ToList();
            while (pending.Count > 0)
            {
                var response = await dynamo.BatchWriteItemAsync(
                    new BatchWriteItemRequest { RequestItems = new() { [inventoryTable] = pending } }, ct);
                pending = response.UnprocessedItems?.GetValueOrDefault(inventoryTable) ?? [];
            }
        });
        Console.WriteLine($"seeded {rowCount:N0} rows in {seeding.Elapsed.TotalSeconds:F1} s (not part of the measurement)");

        var inventory = app.Services.GetRequiredService<InventoryStore>();
        var stock = app.Services.GetRequiredService<Inventory.Api.Features.Inventory.StockCommands>();
        var thresholds = app.Services.GetRequiredService<Inventory.Api.Projections.ThresholdCheck>();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var checking = Stopwatch.StartNew();
        var check = await thresholds.RunAsync(default);
        checking.Stop();
        var expectedStale = (rowCount + StaleEvery - 1) / StaleEvery;
        Console.WriteLine(
            $"threshold check: {check.RowsScanned:N0} rows scanned, {check.StatusesRepaired:N0} stale statuses repaired (with their alerts) " +
            $"in {checking.Elapsed.TotalSeconds:F1} s = {check.RowsScanned / checking.Elapsed.TotalSeconds:N0} rows/s; " +
            $"managed heap after {(GC.GetTotalMemory(forceFullCollection: true) - memoryBefore) / 1024 / 1024} MiB above before");
        checking.Restart();
        var again = await thresholds.RunAsync(default);
        Console.WriteLine($"second run (nothing stale, so scanning alone): {again.StatusesRepaired} repaired in {checking.Elapsed.TotalSeconds:F1} s");

        // Expiry sweep: holds made through the same storage call the endpoint uses, then the clock moves past them.
        var products = app.Services.GetRequiredService<ProductStore>();
        var reservations = app.Services.GetRequiredService<HoldCommands>();
        var skus = new List<string>();
        for (var i = 0; i < HoldProducts; i++)
        {
            var sku = "sweep-" + i.ToString("D3", CultureInfo.InvariantCulture);
            var now = clock.GetUtcNow();
            var (_, row, _) = await products.CreateAsync(new Product(sku, sku, null, 1m, null, null, now, now), "main", 5, Bench, default);
            await stock.SetAsync(sku, "main", new StockChange(1_000_000, null, null), row.Version, versionFromIfMatch: false, defaultThreshold: 5, Bench, default);
            skus.Add(sku);
        }

        seeding.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, holdCount), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            await reservations.ReserveAsync($"cart-{i}", [new ReserveItem(skus[i % HoldProducts], "main", 1)], 300, Bench, ct));
        Console.WriteLine($"placed {holdCount:N0} holds on {HoldProducts} products in {seeding.Elapsed.TotalSeconds:F1} s (not part of the measurement)");

        clock.Offset = TimeSpan.FromSeconds(301);
        var sweeping = Stopwatch.StartNew();
        var released = 0;
        var sweeps = 0;
        for (int expired; (expired = await app.Services.GetRequiredService<HoldExpiry>().ExpireDueAsync(default)) > 0; sweeps++)
        {
            released += expired;
        }

        sweeping.Stop();
        var invariants = await app.Services.GetRequiredService<InvariantChecker>().CheckAsync(skus, default);
        var allBack = (await Task.WhenAll(skus.Select(s => inventory.GetRowsAsync(s, default))))
            .All(rows => rows.Single().AvailableCount == 1_000_000);
        Console.WriteLine(
            $"expiry sweep: {released:N0} holds expired in {sweeps} sweep(s), {sweeping.Elapsed.TotalSeconds:F1} s = " +
            $"{released / sweeping.Elapsed.TotalSeconds:N0} holds/s; every unit back: {(allBack ? "yes" : "NO")}; " +
            $"invariants {(invariants.Holds ? "hold" : "VIOLATED")}");

        await app.DisposeAsync();
        var ok = check.RowsScanned == rowCount && check.StatusesRepaired == expectedStale && again.StatusesRepaired == 0
            && released == holdCount && allBack && invariants.Holds;
        return ok ? 0 : 1;
    }

    /// <summary>Who the stock history names for the benchmark's own writes.</summary>
    private static readonly Actor Bench = new("bench");

    /// <summary>Builds rows exactly as the service creates them; the table name does not matter here.</summary>
    private static readonly StockRows Rows = new(Microsoft.Extensions.Options.Options.Create(new StorageOptions()));

    private static Dictionary<string, AttributeValue> SeedRow(int i, DateTimeOffset now)
    {
        var id = "row-" + i.ToString("D6", CultureInfo.InvariantCulture);
        var item = Rows.Create(id, "main", stock: i % 20, threshold: 5, category: null, now, Bench, out _).Put.Item;
        if (i % StaleEvery == 0)
        {
            // Stored as in stock whatever the counts say: what a crash between a write and its reconciliation leaves.
            item[Attr.Status] = Items.S(nameof(StockStatus.IN_STOCK));
            item[Attr.StockCount] = item[Attr.AvailableCount] = Items.N(0);
        }

        return item;
    }

    /// <summary>The system clock plus an offset, so the benchmark can make holds due without waiting for them.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }
}
