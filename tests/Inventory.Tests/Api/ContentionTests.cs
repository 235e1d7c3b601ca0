using System.Net;
using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The rows a flash sale fights over, with the service's default write settings. These run alone, after the parallel
/// classes, so that what they measure is the sale and not ten other test classes sharing two cores.
/// </summary>
[CollectionDefinition(nameof(ContentionTests), DisableParallelization = true)]
public sealed class ContentionCollection;

[Collection(nameof(ContentionTests))]
[Trait(Lanes.Name, Lanes.Load)]
public class ContentionTests(TestService service, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TestService>
{
    /// <summary>Parallel one-unit holds on one product from <paramref name="clients"/> connections at once.</summary>
    private async Task<HttpResponseMessage[]> FlashSaleAsync(string sku, int shoppers, int clients)
    {
        using var platform = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler { MaxConnectionsPerServer = clients })) { BaseAddress = service.BaseAddress };
        platform.DefaultRequestHeaders.Add("x-api-key", TestService.ReserveKey);
        return await Task.WhenAll(Enumerable.Range(0, shoppers).Select(i =>
            platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = $"shopper-{i}" })));
    }

    private static async Task AssertExactSaleAsync(HttpResponseMessage[] responses, int units)
    {
        var summary = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).OrderBy(g => g.Key).Select(g => $"{g.Key} x {g.Count()}"));
        var firstFailure = responses.FirstOrDefault(r => (int)r.StatusCode >= 500) is { } failed ? await failed.Content.ReadAsStringAsync() : "";
        Assert.True(responses.All(r => r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict), $"{summary} {firstFailure}");
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Created) == units, summary);
        foreach (var refusal in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict).Take(20))
        {
            await TestService.AssertProblemAsync(refusal, 409, "insufficient_stock");
        }
    }

    [Fact]
    public async Task Five_hundred_shoppers_from_64_clients_on_fifty_units_get_exactly_fifty_holds_and_no_5xx_ten_times_in_a_row()
    {
        for (var round = 0; round < 10; round++)
        {
            var sku = await service.CreateProductAsync(stock: 50, threshold: 10);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var responses = await FlashSaleAsync(sku, shoppers: 500, clients: 64);
            output.WriteLine($"round {round + 1}: {clock.ElapsedMilliseconds} ms");

            await AssertExactSaleAsync(responses, units: 50);
            using var admin = service.Api();
            var inventory = await admin.InventoryAsync(sku);
            Assert.Equal(50, inventory.ReservedCount);
            Assert.Equal(Inventory.Api.Domain.StockStatus.OUT_OF_STOCK, inventory.Status);
            await service.AssertInvariantsAsync(sku);
            StatusStreamTests.AssertOneChain(await service.AlertsForAsync(sku), "OUT_OF_STOCK", "OUT_OF_STOCK", minimum: 3);
        }
    }

    [Fact]
    public async Task Two_thousand_shoppers_from_128_clients_on_two_hundred_units_get_exactly_two_hundred_holds_and_no_5xx()
    {
        var sku = await service.CreateProductAsync(stock: 200, threshold: 20);

        var responses = await FlashSaleAsync(sku, shoppers: 2000, clients: 128);

        await AssertExactSaleAsync(responses, units: 200);
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Expired_holds_on_a_row_that_sixteen_clients_keep_writing_come_back_within_two_seconds()
    {
        // 40 holds of one unit and up to 16 busy ones leave at most 20 of 60 available (LOW against threshold 25);
        // the return of the 40 moves the row to IN.
        var sku = await service.CreateProductAsync(stock: 60, threshold: 25);
        using var platform = service.Client(TestService.ReserveKey);
        using var api = service.Api(TestService.ReserveKey);
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var busy = Task.WhenAll(Enumerable.Range(0, 16).Select(async client =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = $"busy-{client}-{n}";
                using var hold = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id, warehouse_id = "main" });
                Assert.True(hold.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"busy hold: {hold.StatusCode}");
                if (hold.StatusCode == HttpStatusCode.Created)
                {
                    (await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}")).EnsureSuccessStatusCode();
                }

                Interlocked.Increment(ref writes);
            }
        }));

        // The holds arrive while the row is busy, and expire while it still is.
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref writes) >= 100), "the busy clients are writing");
        var writesBefore = Volatile.Read(ref writes);
        var holds = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i => (await api.HoldAsync(sku, 1, $"cart-{i}", ttlSeconds: 1)).Ok));

        var ended = await Eventually.ValueAsync(
            () => Task.WhenAll(holds.Select(h => api.ReservationAsync(sku, h.ReservationId))),
            all => all.All(h => h.Status != Inventory.Api.Domain.ReservationStatus.ACTIVE),
            "every expired cart has come back", TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await busy;

        Assert.All(ended, h => Assert.Equal(Inventory.Api.Domain.ReservationStatus.EXPIRED, h.Status));
        var lateness = ended.Select(h => (h.FinishedAt!.Value - h.ExpiresAt).TotalSeconds).ToList();

        var meanwhile = writes - writesBefore;
        output.WriteLine($"back after expires_at: median {lateness.Order().ElementAt(20):F2} s, worst {lateness.Max():F2} s; busy writes meanwhile: {meanwhile}");
        Assert.True(lateness.Max() <= 2, $"expired holds came back up to {lateness.Max():F2} s late");
        Assert.True(meanwhile > 32, $"only {meanwhile} writes by the busy clients while the holds lived and expired: the row was not busy");
        await service.AssertInvariantsAsync(sku);
    }
}
