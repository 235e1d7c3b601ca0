using System.Net;
using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>The promise the product exists for: under any amount of parallel demand, nothing is oversold.</summary>
public class ConcurrencyTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Five_hundred_parallel_reservations_against_fifty_units_exactly_fifty_succeed()
    {
        var sku = await service.CreateProductAsync(stock: 50, threshold: 10);
        using var platform = service.Client(TestService.ReserveKey);

        var responses = await Task.WhenAll(Enumerable.Range(0, 500).Select(i =>
            platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"shopper-{i}" })));

        Assert.True(responses.All(r => r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict), string.Join(", ", responses.GroupBy(r => r.StatusCode).Select(g => $"{g.Key}: {g.Count()}")) + " " + string.Join(" | ", responses.Where(r => (int)r.StatusCode >= 500).Take(2).Select(r => r.Content.ReadAsStringAsync().Result)));
        Assert.Equal(50, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(450, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(50, inventory.GetProperty("reserved_count").GetInt64());
        Assert.Equal(0, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal("OUT_OF_STOCK", inventory.GetProperty("status").GetString());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Mixed_parallel_reserves_releases_sales_and_adjustments_keep_every_invariant()
    {
        var sku = await service.CreateProductAsync(stock: 40, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();

        // Seed holds that the storm below will release and sell.
        for (var i = 0; i < 20; i++)
        {
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"held-{i}" })).EnsureSuccessStatusCode();
        }

        var storm = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 100; i++)
        {
            storm.Add(platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1 + (i % 3), reservation_id = $"new-{i}" }));
        }

        for (var i = 0; i < 10; i++)
        {
            storm.Add(platform.DeleteAsync($"/inventory/{sku}/reserve/held-{i}"));
            storm.Add(platform.PostAsJsonAsync($"/orders/order-{i}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = $"held-{10 + i}" } } }));
            storm.Add(platform.PostAsJsonAsync($"/orders/direct-{i}/fulfil", new { lines = new[] { new { product_id = sku, quantity = 1 } } }));
            var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { delta = i % 2 == 0 ? 3 : -1, reason = "storm" }),
            };
            adjust.Headers.Add("Idempotency-Key", $"adj-{i}");
            storm.Add(admin.SendAsync(adjust));
        }

        var results = await Task.WhenAll(storm);

        Assert.DoesNotContain(results, r => (int)r.StatusCode >= 500);
        Assert.All(results.Skip(100), r => Assert.True(r.IsSuccessStatusCode || r.StatusCode == HttpStatusCode.Conflict, r.StatusCode.ToString()));
        await service.AssertInvariantsAsync(sku);
        var inventory = await service.GetInventoryAsync(sku);
        var sold = 10 + results.Skip(100).Where((_, i) => i % 4 == 2).Count(r => r.IsSuccessStatusCode);
        var adjusted = results.Skip(100).Where((_, i) => i % 4 == 3).Select((r, i) => r.IsSuccessStatusCode ? (i % 2 == 0 ? 3 : -1) : 0).Sum();
        Assert.Equal(40 - sold + adjusted, inventory.GetProperty("stock_count").GetInt64());
    }
}
