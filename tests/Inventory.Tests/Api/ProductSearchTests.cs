using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Api;

/// <summary>GET /products?q= against the real service and DynamoDB Local. Each test names its products with a word of its own.</summary>
public class ProductSearchTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Case_and_accents_do_not_matter_in_the_name_or_the_query()
    {
        var word = Word();
        var sku = await CreateAsync($"Café Crème Mug {word}", category: "kitchen");

        foreach (var q in new[] { "cafe", "CAFÉ", "CRÈ", "creme", "Crème Café", "mug" })
        {
            Assert.Contains(sku, await SearchAllAsync(q));
        }

        var page = await ReadPageAsync($"/products?q={Uri.EscapeDataString("CAFE " + word.ToUpperInvariant())}");
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(sku, item.GetProperty("sku").GetString());
        Assert.Equal($"Café Crème Mug {word}", item.GetProperty("name").GetString());
        Assert.Equal("kitchen", item.GetProperty("category").GetString());
    }

    [Fact]
    public async Task Any_word_of_the_name_is_found_by_its_prefix_and_nothing_is_found_inside_a_word()
    {
        var word = Word();
        var sku = await CreateAsync($"Organic cotton tee {word}");

        foreach (var q in new[] { "org", "cott", "TEE", word[..3], word })
        {
            Assert.Contains(sku, await SearchAllAsync(q));
        }

        Assert.DoesNotContain(sku, await SearchAllAsync("otton"));
        Assert.DoesNotContain(sku, await SearchAllAsync(word[1..]));
    }

    [Fact]
    public async Task A_sku_is_found_by_its_prefix()
    {
        var code = Word();
        var sku = await CreateAsync("Plain plate", sku: $"PLT-{code}-BLK");

        Assert.Equal([sku], await SearchAllAsync($"plt-{code}"));
        Assert.Equal([sku], await SearchAllAsync($"PLT-{code[..5]}"));
        Assert.Equal([sku], await SearchAllAsync($"{code} blk"));
        Assert.Empty(await SearchAllAsync($"PLT-{code}-RED"));
    }

    [Fact]
    public async Task Every_word_of_the_query_must_match()
    {
        var word = Word();
        var blueMug = await CreateAsync($"Blue {word} mug");
        var redMug = await CreateAsync($"Red {word} mug");
        var bluePlate = await CreateAsync($"Blue {word} plate");

        Assert.Equal(Sorted(blueMug, bluePlate), Sorted([.. await SearchAllAsync($"blue {word}")]));
        Assert.Equal(Sorted(blueMug, redMug), Sorted([.. await SearchAllAsync($"{word} mu")]));
        Assert.Equal([blueMug], await SearchAllAsync($"{word} MUG bl"));
        var none = await ReadPageAsync($"/products?q={word}+green");
        Assert.Equal(0, none.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("next_token").ValueKind);
    }

    [Fact]
    public async Task Paging_through_more_results_than_a_page_gives_each_product_once()
    {
        var word = Word();
        var expected = new List<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 45), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            // Some names start the query's word twice ("w" and "w2"): such a product must still be listed once.
            var sku = await CreateAsync(i % 3 == 0 ? $"{word} {word}2 item {i}" : $"Item {i} {word}");
            lock (expected)
            {
                expected.Add(sku);
            }
        });

        var pages = 0;
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await ReadPageAsync($"/products?q={word}&limit=7" + (token is null ? "" : "&next_token=" + token));
            var items = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sku").GetString()!).ToList();
            Assert.True(items.Count <= 7);
            seen.AddRange(items);
            token = page.GetProperty("next_token").GetString();
            pages++;
        }
        while (token is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(Sorted([.. expected]), Sorted([.. seen]));
        Assert.True(pages >= 7, $"45 products at 7 a page took {pages} pages");
    }

    [Fact]
    public async Task Products_created_while_others_search_are_found_once_created()
    {
        var word = Word();
        using var stop = new CancellationTokenSource();
        var searches = 0;
        var searching = Task.Run(async () =>
        {
            using var reader = service.Client(TestService.ReadKey);
            while (!stop.IsCancellationRequested)
            {
                var response = await reader.GetAsync($"/products?q={word}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Interlocked.Increment(ref searches);
            }
        });

        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => CreateAsync($"Fresh {word} {i}")));
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref searches) > 0), "a search ran alongside the creates");
        await stop.CancelAsync();
        await searching;

        // Created means findable: the index items commit with the product and searches read them strongly consistent.
        Assert.Equal(Sorted(created), Sorted([.. await SearchAllAsync(word)]));
    }

    [Fact]
    public async Task A_product_stored_before_the_index_is_found_after_the_backfill_or_after_posting_it_again()
    {
        var storage = service.Get<IOptions<StorageOptions>>().Value;
        var word = Word();
        var sku = await CreateAsync($"Old stock {word}");
        await DeleteIndexItemsAsync(storage, sku);
        Assert.Empty(await SearchAllAsync(word));

        await service.Get<ProductSearchIndex>().BackfillAsync(default);
        Assert.Equal([sku], await SearchAllAsync(word));

        await DeleteIndexItemsAsync(storage, sku);
        using var admin = service.Client();
        var again = await admin.PostAsJsonAsync("/products", new { sku, name = $"Old stock {word}", price = 3m });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal([sku], await SearchAllAsync(word));
    }

    [Fact]
    public async Task The_product_list_and_the_search_carry_every_products_name()
    {
        var word = Word();
        var sku = await CreateAsync($"Named {word}");
        using var reader = service.Client(TestService.ReadKey);
        var names = new Dictionary<string, string>();
        string? token = null;
        do
        {
            var page = await ReadPageAsync("/products?limit=100" + (token is null ? "" : "&next_token=" + token));
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                names[item.GetProperty("sku").GetString()!] = item.GetProperty("name").GetString()!;
            }

            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);

        Assert.Equal($"Named {word}", names[sku]);
        Assert.All(names.Values, n => Assert.False(string.IsNullOrWhiteSpace(n)));
    }

    [Theory]
    [InlineData("q=")]
    [InlineData("q=%20%20")]
    [InlineData("q=a")]
    [InlineData("q=a+b+c")]
    [InlineData("q=%21%21%21")]
    [InlineData("q=one+two+three+four+five+six")]
    [InlineData("q=mug&limit=0")]
    [InlineData("q=mug&limit=101")]
    public async Task Bad_searches_are_400_validation_failed(string query)
    {
        using var reader = service.Client(TestService.ReadKey);
        var problem = await TestService.AssertProblemAsync(await reader.GetAsync("/products?" + query), 400, "validation_failed");
        Assert.True(problem.GetProperty("errors").EnumerateObject().Any());
    }

    [Fact]
    public async Task Overlong_searches_and_foreign_tokens_are_refused_and_a_search_needs_a_key()
    {
        using var reader = service.Client(TestService.ReadKey);
        await TestService.AssertProblemAsync(await reader.GetAsync("/products?q=" + new string('a', 201)), 400, "validation_failed");
        await TestService.AssertProblemAsync(await reader.GetAsync("/products?q=" + new string('a', 65)), 400, "validation_failed");

        var word = Word();
        await CreateAsync($"Token {word} one");
        await CreateAsync($"Token {word} two");
        var first = await ReadPageAsync($"/products?q={word}&limit=1");
        var token = first.GetProperty("next_token").GetString();
        Assert.NotNull(token);
        await TestService.AssertProblemAsync(await reader.GetAsync($"/products?q=zz{word}&limit=1&next_token={token}"), 400, "invalid_token");
        await TestService.AssertProblemAsync(await reader.GetAsync($"/products?q={word}zz&limit=1&next_token={token}"), 400, "invalid_token");
        await TestService.AssertProblemAsync(await reader.GetAsync("/products?q=mug&next_token=bm9wZQ"), 400, "invalid_token");
        var listToken = (await ReadPageAsync("/products?limit=1")).GetProperty("next_token").GetString();
        await TestService.AssertProblemAsync(await reader.GetAsync($"/products?q=mug&next_token={listToken}"), 400, "invalid_token");

        using var anonymous = service.Client(apiKey: null);
        await TestService.AssertProblemAsync(await anonymous.GetAsync("/products?q=mug"), 401, "unauthorized");
    }

    /// <summary>A word no other test uses: letters only, so it is one term.</summary>
    private static string Word() => "w" + new string(Guid.NewGuid().ToString("N").Select(c => (char)('a' + (c % 26))).Take(9).ToArray());

    private static List<string> Sorted(params string[] items) => [.. items.Order(StringComparer.Ordinal)];

    private async Task<string> CreateAsync(string name, string? category = null, string? sku = null)
    {
        sku ??= "s-" + Guid.NewGuid().ToString("N")[..12];
        using var admin = service.Client();
        var created = await admin.PostAsJsonAsync("/products", new { sku, name, price = 3m, category });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return sku;
    }

    private async Task<JsonElement> ReadPageAsync(string path)
    {
        using var reader = service.Client(TestService.ReadKey);
        var response = await reader.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TestService.ReadJsonAsync(response);
    }

    /// <summary>Every sku a search finds, through all its pages, in the order given.</summary>
    private async Task<List<string>> SearchAllAsync(string q)
    {
        var skus = new List<string>();
        string? token = null;
        do
        {
            var page = await ReadPageAsync($"/products?q={Uri.EscapeDataString(q)}" + (token is null ? "" : "&next_token=" + token));
            skus.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sku").GetString()!));
            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);

        return skus;
    }

    private async Task DeleteIndexItemsAsync(StorageOptions storage, string sku)
    {
        var scan = await service.Dynamo.ScanAsync(new ScanRequest { TableName = storage.ProductSearchTable });
        foreach (var item in scan.Items.Where(i => i["sku"].S == sku))
        {
            await service.Dynamo.DeleteItemAsync(storage.ProductSearchTable, new Dictionary<string, AttributeValue>
            {
                ["search_prefix"] = item["search_prefix"],
                ["search_term"] = item["search_term"],
            });
        }
    }
}
