using System.Net;
using System.Net.Http.Json;
using Inventory.Bench;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The service behind DynamoDB's per-partition limit, scaled down to 40 write units a second per partition key so
/// it binds here (one product row takes about 20 transactional holds a second; on AWS, 1,000 units take about 500).
/// </summary>
public sealed class PartitionBudgetService : TestService
{
    private PartitionBudgetProxy? proxy;

    public PartitionBudgetProxy Proxy => proxy!;

    protected override IEnumerable<string> ExtraArgs => [$"--Storage:ServiceUrl={proxy!.Address}"];

    public override async Task InitializeAsync()
    {
        proxy = await PartitionBudgetProxy.StartAsync(await SharedDynamoDb.ServiceUrlAsync(), writeUnitsPerSecond: 40, readUnitsPerSecond: 120);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await proxy!.DisposeAsync();
    }
}

[Collection(nameof(ContentionTests))]
[Trait(Lanes.Name, Lanes.Load)]
public class PartitionLimitTests(PartitionBudgetService service, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PartitionBudgetService>
{
    private async Task<HttpResponseMessage[]> HoldAllAsync(string sku, IEnumerable<string> reservationIds, int clients)
    {
        using var platform = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler { MaxConnectionsPerServer = clients })) { BaseAddress = service.BaseAddress };
        platform.DefaultRequestHeaders.Add("x-api-key", TestService.ReserveKey);
        return await Task.WhenAll(reservationIds.Select(id => platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id })));
    }

    /// <summary>Each throttled answer must say so, and when to come back; nothing else but a hold is allowed.</summary>
    private static async Task<List<string>> ThrottledAsync(string[] ids, HttpResponseMessage[] answers)
    {
        var throttled = new List<string>();
        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i].StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await TestService.AssertProblemAsync(answers[i], 503, "storage_busy");
                Assert.True(answers[i].Headers.RetryAfter?.Delta > TimeSpan.Zero, "a throttled shopper is told when to come back");
                throttled.Add(ids[i]);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Created, answers[i].StatusCode);
            }
        }

        return throttled;
    }

    [Fact]
    public async Task Shoppers_beyond_a_rows_write_budget_are_told_busy_with_retry_after_never_out_of_stock_and_all_hold_once_they_come_back()
    {
        var sku = await service.CreateProductAsync(stock: 1000, threshold: 10);
        var ids = Enumerable.Range(0, 300).Select(i => $"budget-{i}").ToArray();
        var throttledBefore = service.Proxy.Throttled;

        var answers = await HoldAllAsync(sku, ids, clients: 64);
        var throttled = await ThrottledAsync(ids, answers);
        output.WriteLine($"{ids.Length - throttled.Count} held, {throttled.Count} told busy; proxy refused {service.Proxy.Throttled - throttledBefore} requests");
        Assert.NotEmpty(throttled); // the budget binds: 300 holds at once are far beyond 20 a second
        using var admin = service.Api();
        Assert.Equal(ids.Length - throttled.Count, (await admin.InventoryAsync(sku)).ReservedCount);

        // Coming back after Retry-After, as a client does, every throttled shopper gets the unit that was there all along.
        for (var round = 0; throttled.Count > 0; round++)
        {
            Assert.True(round < 30, $"{throttled.Count} shoppers still throttled after {round} rounds");
            await Task.Delay(TimeSpan.FromSeconds(1));
            var retried = throttled.ToArray();
            throttled = await ThrottledAsync(retried, await HoldAllAsync(sku, retried, clients: 8));
        }

        Assert.Equal(ids.Length, (await admin.InventoryAsync(sku)).ReservedCount);
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Under_throttling_the_last_units_go_to_exactly_as_many_shoppers_and_every_refusal_says_none_were_left()
    {
        var sku = await service.CreateProductAsync(stock: 20, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        var ids = Enumerable.Range(0, 150).Select(i => $"last-{i}").ToArray();
        var pending = ids;
        var held = 0;
        for (var round = 0; pending.Length > 0; round++)
        {
            Assert.True(round < 30, $"{pending.Length} shoppers still without an answer after {round} rounds");
            var answers = await HoldAllAsync(sku, pending, clients: 64);
            var next = new List<string>();
            for (var i = 0; i < answers.Length; i++)
            {
                switch (answers[i].StatusCode)
                {
                    case HttpStatusCode.Created:
                        held++;
                        break;
                    case HttpStatusCode.Conflict:
                        // A refusal is only true when the units are gone: the row it read had none available.
                        var refusal = await TestService.AssertProblemAsync(answers[i], 409, "insufficient_stock");
                        Assert.Equal(0, refusal.GetProperty("available_count").GetInt64());
                        break;
                    default:
                        await TestService.AssertProblemAsync(answers[i], 503, "storage_busy");
                        Assert.NotNull(answers[i].Headers.RetryAfter);
                        next.Add(pending[i]);
                        break;
                }
            }

            pending = [.. next];
            if (pending.Length > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }

        Assert.Equal(20, held);
        using var admin = service.Api();
        var row = await admin.InventoryAsync(sku);
        Assert.Equal(20, row.ReservedCount);
        Assert.Equal(0, row.AvailableCount);
        await service.AssertHistoryAsync([sku], TimeSpan.FromSeconds(60));
    }
}
