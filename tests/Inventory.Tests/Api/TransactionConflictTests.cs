using System.Net;
using System.Net.Http.Json;
using Amazon.DynamoDBv2;
using Inventory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Api;

/// <summary>The service behind a client that injects the transaction conflicts real DynamoDB raises on hot items.</summary>
public sealed class ConflictingService : FaultInjectingService
{
    protected override IEnumerable<string> ExtraArgs => ["--Storage:MaxWriteAttempts=4"];
}

public class TransactionConflictTests(ConflictingService service) : IClassFixture<ConflictingService>
{
    [Fact]
    public async Task Conflicting_transactions_are_retried_until_they_go_through_and_count_once()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        var injectedBefore = service.Faults.Injected;
        try
        {
            service.Faults.FailNext(2);
            var reserve = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "hot" });
            Assert.Equal(HttpStatusCode.Created, reserve.StatusCode);
            Assert.Equal(injectedBefore + 2, service.Faults.Injected);

            service.Faults.UseConflictException = true;
            service.Faults.FailNext(2);
            Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/hot")).StatusCode);
            Assert.Equal(injectedBefore + 4, service.Faults.Injected);
        }
        finally
        {
            service.Faults.FailNext(0);
            service.Faults.UseConflictException = false;
        }

        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(0, inventory.GetProperty("reserved_count").GetInt64());
        Assert.Equal(10, inventory.GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task A_write_that_keeps_conflicting_gives_up_with_503_and_changes_nothing()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.FailNext(1000);
        HttpResponseMessage response;
        try
        {
            response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "doomed" });
        }
        finally
        {
            service.Faults.FailNext(0);
        }

        await TestService.AssertProblemAsync(response, 503, "contention");
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }
}
