// Product search at catalogue size: 100,000 products written straight into DynamoDB Local with their index items, then
// searches of different shapes through the real HTTP service. Usage: make bench-search
// (or: dotnet run ... -- search [products] [queries per shape]).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api;
using Inventory.Api.Domain;
using Inventory.Api.Local;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Inventory.Bench;

public static class SearchBenchmark
{
    // Names are drawn from these, so words and prefixes are as common as in a real catalogue: "sh" starts
    // "shirt", "short", "shoe", "shawl" and "shelf" (about a quarter of all products), each noun about 1 in 24.
    private static readonly string[] Adjectives = ["Organic", "Classic", "Vintage", "Slim", "Heavy", "Soft", "Rustic", "Modern", "Café", "Crème", "Premium", "Everyday"];
    private static readonly string[] Colours = ["blue", "red", "black", "white", "green", "navy", "grey", "olive", "écru", "rose"];
    private static readonly string[] Materials = ["cotton", "linen", "wool", "stoneware", "leather", "bamboo", "steel", "oak"];
    private static readonly string[] Nouns = ["shirt", "short", "shoe", "shawl", "shelf", "mug", "plate", "bowl", "tee", "hoodie", "scarf", "lamp", "chair", "table", "poster", "candle", "sock", "cap", "bag", "towel", "blanket", "vase", "jar", "tray"];
    private static readonly string[] Codes = ["TSH", "MUG", "PLT", "BWL", "LMP", "CHR", "TBL", "SCF"];

    public static async Task<int> RunAsync(string[] args)
    {
        var productCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var perShape = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;

        const string ReadKey = "bench-read";
        await using var service = await BenchService.StartAsync((ReadKey, "Read"), "--Jobs:RunInProcess=false", "--Jobs:ReadStreamInProcess=false");
        var app = service.App;
        using var http = service.Client(ReadKey, connections: 64);
        var dynamo = app.Services.GetRequiredService<IAmazonDynamoDB>();
        var storage = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;

        Console.WriteLine($"Product search benchmark: DynamoDB Local in memory, {Environment.ProcessorCount} cores, {productCount:N0} products");

        // The catalogue and its index, written as the service writes them (the same item builders), but in batches:
        // through the endpoint, 100,000 transactions would take most of an hour here.
        var now = DateTimeOffset.UtcNow;
        var products = Enumerable.Range(0, productCount).Select(i => ProductOf(i, now)).ToList();
        var productItems = products.Select(p => ProductStore.ProductItem(p, 5)).ToList();
        var indexItems = products.SelectMany(ProductSearchIndex.IndexItems).ToList();
        var seeding = Stopwatch.StartNew();
        await WriteAllAsync(dynamo, storage.ProductsTable, productItems);
        var productSeconds = seeding.Elapsed.TotalSeconds;
        await WriteAllAsync(dynamo, storage.ProductSearchTable, indexItems);
        seeding.Stop();
        var items = productItems.Count + indexItems.Count;
        Console.WriteLine(
            $"seeded {productCount:N0} products ({productSeconds:F1} s) and their {indexItems.Count:N0} index items ({seeding.Elapsed.TotalSeconds - productSeconds:F1} s) " +
            $"with BatchWriteItem, 16 batches at a time: {items:N0} items in {seeding.Elapsed.TotalSeconds:F1} s = {items / seeding.Elapsed.TotalSeconds:N0} items/s");
        var indexBytes = indexItems.Select(ItemSize).ToList();
        Console.WriteLine(
            $"index items per product: {(double)indexItems.Count / productCount:F2} (max {products.Max(p => SearchText.IndexedTerms(SearchText.ProductTerms(p.Name, p.Sku)).Count)}); " +
            $"index item size: mean {indexBytes.Average():F0} bytes, max {indexBytes.Max()} bytes; product item: mean {productItems.Average(ItemSize):F0} bytes");

        (string Shape, Func<int, string> Query)[] shapes =
        [
            ("common 2-letter prefix 'sh'", _ => "sh"),
            ("full word ('cotton', ...)", i => Materials[i % Materials.Length]),
            ("two words ('blue shirt', ...)", i => $"{Colours[i % Colours.Length]} {Nouns[i % Nouns.Length]}"),
            ("sku prefix ('MUG-0421', ...)", i => $"{Codes[i % Codes.Length]}-{(i * 37) % 1000:D4}"),
            ("accents and case ('CRÈME ÉCRU')", _ => "CRÈME ÉCRU"),
            ("no match ('zqxv')", _ => "zqxv"),
            ("AND that never matches ('shirt zqxv')", _ => "shirt zqxv"),
        ];

        // Warm-up: JIT, connections, DynamoDB Local's caches (not reported).
        foreach (var (_, query) in shapes)
        {
            for (var i = 0; i < 20; i++)
            {
                await SearchAsync(http, query(i));
            }
        }

        Console.WriteLine($"first page (limit 20) through HTTP, one client, {perShape} queries per shape, strongly consistent reads:");
        Console.WriteLine($"{"shape",-40} {"hits/page",9} {"p50 ms",7} {"p95 ms",7} {"p99 ms",7} {"max ms",7}");
        var all = new List<double>();
        var ok = true;
        foreach (var (shape, query) in shapes)
        {
            var times = new List<double>();
            var hits = 0;
            for (var i = 0; i < perShape; i++)
            {
                var clock = Stopwatch.StartNew();
                var (status, count) = await SearchAsync(http, query(i));
                times.Add(clock.Elapsed.TotalMilliseconds);
                hits += count;
                ok &= status == HttpStatusCode.OK;
            }

            all.AddRange(times);
            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{shape,-40} {(double)hits / perShape,9:F1} {P(times, 0.50),7:F1} {P(times, 0.95),7:F1} {P(times, 0.99),7:F1} {times[^1],7:F1}"));
        }

        all.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"all shapes: p50 {P(all, 0.50):F1} ms  p95 {P(all, 0.95):F1} ms  p99 {P(all, 0.99):F1} ms (aim: under 100 ms)"));

        // Every product is on exactly one page: page through one common prefix to the end.
        var paging = Stopwatch.StartNew();
        var (pages, seen, distinct) = await PageThroughAsync(http, "sh");
        var expected = products.Count(p => SearchText.ProductTerms(p.Name, p.Sku).Any(t => t.StartsWith("sh", StringComparison.Ordinal)));
        Console.WriteLine(
            $"paging 'sh' to the end, 100 a page: {seen:N0} products on {pages:N0} pages in {paging.Elapsed.TotalSeconds:F1} s, " +
            $"{(seen == distinct ? "no duplicates" : "DUPLICATES")}, {(seen == expected ? "none missing" : $"EXPECTED {expected:N0}")}");

        return ok && seen == distinct && seen == expected && P(all, 0.99) < 100 ? 0 : 1;
    }

    private static Product ProductOf(int i, DateTimeOffset now)
    {
        // Spread the picks so neighbouring products differ in every word.
        var name = $"{Adjectives[i % Adjectives.Length]} {Colours[i / 7 % Colours.Length]} {Materials[i / 13 % Materials.Length]} {Nouns[i / 3 % Nouns.Length]}";
        var sku = $"{Codes[i % Codes.Length]}-{i:D6}";
        return new Product(sku, name, null, 10m + (i % 90), null, Nouns[i / 3 % Nouns.Length], now, now);
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

    private static async Task<(HttpStatusCode Status, int Hits)> SearchAsync(HttpClient http, string q, int limit = 20, string? token = null)
    {
        using var response = await http.GetAsync($"/products?q={Uri.EscapeDataString(q)}&limit={limit}" + (token is null ? "" : "&next_token=" + token));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, 0);
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return (response.StatusCode, body.RootElement.GetProperty("items").GetArrayLength());
    }

    private static async Task<(int Pages, int Seen, int Distinct)> PageThroughAsync(HttpClient http, string q)
    {
        var skus = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            using var response = await http.GetAsync($"/products?q={q}&limit=100" + (token is null ? "" : "&next_token=" + token));
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            skus.AddRange(body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sku").GetString()!));
            token = body.RootElement.GetProperty("next_token").GetString();
            pages++;
        }
        while (token is not null);

        return (pages, skus.Count, skus.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>An item's size as DynamoDB bills it: every attribute's name and value in UTF-8 (numbers about as text).</summary>
    private static int ItemSize(Dictionary<string, AttributeValue> item) =>
        item.Sum(kv => Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value.S ?? kv.Value.N ?? string.Empty));

    private static double P(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}
