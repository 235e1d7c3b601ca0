// A 10,000-line stock import as the admin panel sends it: chunks of 500 lines, one after another, first as a dry run,
// then applied, then applied again (which must change nothing). Usage: make bench-import
// (or: dotnet run ... -- import [lines] [lines per request]).
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Features.Imports;
using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Bench;

public static class ImportBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var lineCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var chunkSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;

        const string AdminKey = "bench-admin";
        // The change stream is read in process, as under make start: every applied line's history entry is written by
        // this same process on the same two cores while the import runs.
        await using var service = await BenchService.StartAsync((AdminKey, "Admin"), "--Jobs:RunInProcess=false");
        using var http = service.Client(AdminKey, connections: 8);
        var dynamo = service.Get<IAmazonDynamoDB>();
        var storage = service.Get<IOptions<StorageOptions>>().Value;
        var parallelism = service.Get<IOptions<ImportOptions>>().Value.WriteParallelism;
        Console.WriteLine($"Import benchmark: DynamoDB Local in memory, {Environment.ProcessorCount} cores, {lineCount:N0} lines, " +
            $"{chunkSize} lines per request, {parallelism} writes at once per request");

        // One row per line, written straight into the tables in batches (through the endpoints, seeding alone would
        // take longer than the import).
        var now = DateTimeOffset.UtcNow;
        var seeder = new Actor("bench-seed", ActsForAnyone: true);
        var rows = service.Get<StockRows>();
        var skus = Enumerable.Range(0, lineCount).Select(i => $"IMP-{i:D6}").ToList();
        var seeding = Stopwatch.StartNew();
        await WriteAllAsync(dynamo, storage.ProductsTable, skus.Select(sku => Inventory.Api.Storage.ProductStore.ProductItem(
            new Product(sku, "Import " + sku, null, 10m, null, "import", now, now), 5)).ToList());
        await WriteAllAsync(dynamo, storage.InventoryTable, skus.Select(sku => rows.Create(sku, "main", 100, 5, "import", now, seeder, out _).Put.Item).ToList());
        Console.WriteLine($"seeded {lineCount:N0} products and rows in {seeding.Elapsed.TotalSeconds:F1} s");

        // The seed's change records become history entries; the import is timed once the reader has caught up with them.
        var history = service.Get<HistoryRecords>();
        var caughtUp = Stopwatch.StartNew();
        foreach (var sku in skus.Where((_, i) => i % Math.Max(1, lineCount / 20) == 0).Append(skus[^1]))
        {
            while ((await history.RowEntriesAsync(sku, "main", CancellationToken.None)).Count == 0)
            {
                if (caughtUp.Elapsed > TimeSpan.FromMinutes(5))
                {
                    Console.Error.WriteLine("the change stream reader did not catch up with the seed within 5 minutes");
                    return 1;
                }

                await Task.Delay(200);
            }
        }

        Console.WriteLine($"history of the seed written after {caughtUp.Elapsed.TotalSeconds:F1} s more");

        // Half absolute lines (100 -> 60), half adjustments (-25), as a stock take and a write-off list would mix them.
        var file = skus.Select((sku, i) => new ImportLineRequest(i + 2, sku, "main",
            Stock: i % 2 == 0 ? "60" : null, Adjust: i % 2 == 0 ? null : "-25", Reason: i % 2 == 0 ? "stock take" : "write-off")).ToList();
        var importId = "bench-" + Guid.NewGuid().ToString("N");

        var (dry, dryTime, dryWorst) = await RunAsync(http, importId, file, dryRun: true, chunkSize);
        Report("dry run", dry, dryTime, dryWorst, lineCount);
        var versions = dry.Where(l => l.Version is not null).ToDictionary(l => l.Line, l => l.Version);
        var withVersions = file.Select(l => l with { ExpectedVersion = l.Stock is null ? null : versions[l.Line!.Value] }).ToList();

        var (applied, applyTime, applyWorst) = await RunAsync(http, importId, withVersions, dryRun: false, chunkSize);
        Report("apply", applied, applyTime, applyWorst, lineCount);
        var (again, againTime, againWorst) = await RunAsync(http, importId, withVersions, dryRun: false, chunkSize);
        Report("apply again", again, againTime, againWorst, lineCount);

        // Every row holds what its line asked for, once.
        var stored = await Reads.BatchGetAllAsync(dynamo, storage.InventoryTable, skus.Select(s => Items.InventoryKey(s, "main")).ToList(), CancellationToken.None);
        var wrong = stored.Select(Items.ToRow).Count(r => r.StockCount != (int.Parse(r.ProductId[4..], CultureInfo.InvariantCulture) % 2 == 0 ? 60 : 75));
        var ok = applied.Count(l => l.Outcome == ImportOutcome.APPLIED) == lineCount
            && again.Count(l => l.Outcome == ImportOutcome.UNCHANGED) == lineCount
            && stored.Count == lineCount && wrong == 0;
        Console.WriteLine(ok
            ? $"every row holds its line's stock; the second apply changed nothing; {lineCount:N0} lines applied in {applyTime.TotalSeconds:F1} s (aim: under 60 s)"
            : $"FAILED: {wrong} rows hold the wrong stock, {applied.Count(l => l.Outcome != ImportOutcome.APPLIED)} lines not applied, {again.Count(l => l.Outcome != ImportOutcome.UNCHANGED)} re-applied lines not unchanged");
        return ok && applyTime < TimeSpan.FromSeconds(60) ? 0 : 1;
    }

    private static async Task<(List<ImportLineView> Lines, TimeSpan Total, TimeSpan Worst)> RunAsync(
        HttpClient http, string importId, List<ImportLineRequest> file, bool dryRun, int chunkSize)
    {
        var results = new List<ImportLineView>(file.Count);
        var worst = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        foreach (var chunk in file.Chunk(chunkSize))
        {
            var one = Stopwatch.StartNew();
            using var response = await http.PostAsJsonAsync($"/imports/{importId}/lines?dry_run={(dryRun ? "true" : "false")}",
                new ImportLinesRequest([.. chunk]), JsonSetup.Options);
            response.EnsureSuccessStatusCode();
            var answer = (await response.Content.ReadFromJsonAsync<ImportLinesResponse>(JsonSetup.Options))!;
            results.AddRange(answer.Lines);
            worst = one.Elapsed > worst ? one.Elapsed : worst;
        }

        return (results, total.Elapsed, worst);
    }

    private static void Report(string phase, List<ImportLineView> lines, TimeSpan total, TimeSpan worst, int count)
    {
        var outcomes = string.Join(", ", lines.GroupBy(l => l.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
        Console.WriteLine($"{phase,-12} {total.TotalSeconds,6:F1} s  {count / total.TotalSeconds,7:F0} lines/s  slowest request {worst.TotalMilliseconds,6:F0} ms  ({outcomes})");
    }

    private static async Task WriteAllAsync(IAmazonDynamoDB dynamo, string table, List<Dictionary<string, AttributeValue>> items) =>
        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (chunk, ct) =>
        {
            var pending = chunk.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } }).ToList();
            while (pending.Count > 0)
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [table] = pending } }, ct);
                pending = response.UnprocessedItems?.GetValueOrDefault(table) ?? [];
            }
        });
}
