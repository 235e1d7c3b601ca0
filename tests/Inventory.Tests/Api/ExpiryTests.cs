using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Inventory.Api.Domain;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Api;

public class ExpiryTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task An_abandoned_hold_returns_its_units_within_five_seconds_of_expiring()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 2);
        using var platform = service.Client(TestService.ReserveKey);
        var created = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 9, reservation_id = "abandoned", ttl_seconds = 1 }));
        var expiresAt = created.GetProperty("expires_at").GetDateTimeOffset();
        Assert.Equal(1, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());

        JsonElement inventory;
        var deadline = expiresAt.AddSeconds(5);
        do
        {
            await Task.Delay(100);
            inventory = await service.GetInventoryAsync(sku);
        }
        while (inventory.GetProperty("reserved_count").GetInt64() != 0 && DateTimeOffset.UtcNow < deadline);

        Assert.True(DateTimeOffset.UtcNow < deadline, "the hold was not released within 5 s of expires_at");
        Assert.Equal(10, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal("IN_STOCK", inventory.GetProperty("status").GetString());
        var reservation = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/abandoned"));
        Assert.Equal("EXPIRED", reservation.GetProperty("status").GetString());

        // Releasing an expired hold is a no-op; selling it is refused.
        Assert.Equal(HttpStatusCode.NoContent, (await platform.DeleteAsync($"/inventory/{sku}/reserve/abandoned")).StatusCode);
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync("/orders/late/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "abandoned" } } }),
            409, "reservation_not_active");
        await service.AssertInvariantsAsync(sku);
    }
}

/// <summary>No background sweep, so the tests decide when expiry happens.</summary>
public sealed class NoSweeperService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:RunInProcess=false"];
}

public class ExpiryRaceTests(NoSweeperService service) : IClassFixture<NoSweeperService>
{
    internal static async Task WaitUntilPast(DateTimeOffset moment)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (DateTimeOffset.UtcNow <= moment.AddMilliseconds(1100) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_reservation_short_of_stock_first_reclaims_expired_holds_and_succeeds()
    {
        var sku = await service.CreateProductAsync(stock: 2);
        using var platform = service.Client(TestService.ReserveKey);
        var first = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "old-cart", ttl_seconds = 1 }));
        await WaitUntilPast(first.GetProperty("expires_at").GetDateTimeOffset());

        var second = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "new-cart" });

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        var old = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/old-cart"));
        Assert.Equal("EXPIRED", old.GetProperty("status").GetString());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task Two_sweepers_at_once_expire_each_hold_once()
    {
        var skus = new List<string>();
        using var platform = service.Client(TestService.ReserveKey);
        DateTimeOffset latest = default;
        for (var i = 0; i < 5; i++)
        {
            var sku = await service.CreateProductAsync(stock: 10);
            skus.Add(sku);
            for (var j = 0; j < 4; j++)
            {
                var hold = await TestService.ReadJsonAsync(
                    await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = $"h{j}", ttl_seconds = 1 }));
                latest = hold.GetProperty("expires_at").GetDateTimeOffset();
            }
        }

        await WaitUntilPast(latest);
        var store = service.Get<HoldExpiry>();
        var counts = await Task.WhenAll(store.ExpireDueAsync(default), store.ExpireDueAsync(default), store.ExpireDueAsync(default));

        Assert.Equal(20, counts.Sum());
        foreach (var sku in skus)
        {
            Assert.Equal(10, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        }

        await service.AssertInvariantsAsync([.. skus]);
    }

    [Fact]
    public async Task A_hold_sold_while_it_expires_ends_in_exactly_one_state_with_matching_counts()
    {
        using var platform = service.Client(TestService.ReserveKey);
        var store = service.Get<HoldExpiry>();
        var records = service.Get<ReservationRecords>();
        var skus = new List<string>();
        var expiries = new List<DateTimeOffset>();
        for (var i = 0; i < 25; i++)
        {
            var sku = await service.CreateProductAsync(stock: 5);
            skus.Add(sku);
            var hold = await TestService.ReadJsonAsync(
                await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "race", ttl_seconds = 1 }));
            expiries.Add(hold.GetProperty("expires_at").GetDateTimeOffset());
        }

        await WaitUntilPast(expiries.Max());
        var outcomes = await Task.WhenAll(skus.Select(async (sku, i) =>
        {
            var sale = platform.PostAsJsonAsync($"/orders/race-{i}/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "race" } } });
            var expiry = Task.Run(async () => await store.ExpireAsync((await records.GetAsync(sku, "race", default))!, default));
            return (Sold: (await sale).StatusCode == HttpStatusCode.OK, Expired: await expiry);
        }));

        for (var i = 0; i < skus.Count; i++)
        {
            Assert.True(outcomes[i].Sold ^ outcomes[i].Expired, $"{skus[i]}: sold={outcomes[i].Sold} expired={outcomes[i].Expired}");
            var reservation = await records.GetAsync(skus[i], "race", default);
            var inventory = await service.GetInventoryAsync(skus[i]);
            if (outcomes[i].Sold)
            {
                Assert.Equal(ReservationStatus.FULFILLED, reservation!.Status);
                Assert.Equal(2, inventory.GetProperty("stock_count").GetInt64());
            }
            else
            {
                Assert.Equal(ReservationStatus.EXPIRED, reservation!.Status);
                Assert.Equal(5, inventory.GetProperty("stock_count").GetInt64());
            }

            Assert.Equal(0, inventory.GetProperty("reserved_count").GetInt64());
        }

        await service.AssertInvariantsAsync([.. skus]);
    }
}

/// <summary>No background sweep, and a client that can make chosen rows fail every write: a row that stays busy.</summary>
public sealed class FaultyNoSweeperService : FaultInjectingService
{
    protected override IEnumerable<string> ExtraArgs => ["--Jobs:RunInProcess=false", "--Storage:MaxWriteAttempts=2"];
}

/// <summary>The sweep expires each row on its own: a row that keeps failing is left for the next run and stops nothing else.</summary>
public class ExpiryIsolationTests(FaultyNoSweeperService service) : IClassFixture<FaultyNoSweeperService>, IDisposable
{
    public void Dispose()
    {
        service.Faults.FailTransactionsNaming = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Holds of one unit each that expire in a second (the product stays IN_STOCK, so no status write is due); returns the latest expiry.</summary>
    private async Task<DateTimeOffset> HoldAsync(string sku, IEnumerable<string> reservationIds)
    {
        using var platform = service.Client(TestService.ReserveKey);
        DateTimeOffset latest = default;
        foreach (var id in reservationIds)
        {
            var hold = await TestService.ReadJsonAsync(
                await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id, ttl_seconds = 1 }));
            latest = hold.GetProperty("expires_at").GetDateTimeOffset();
        }

        return latest;
    }

    private async Task<long> ReservedAsync(string sku) => (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64();

    [Fact]
    public async Task A_row_that_keeps_failing_does_not_stop_other_products_from_expiring_and_is_retried_at_the_next_run()
    {
        var stuck = await service.CreateProductAsync(stock: 10, threshold: 2);
        var fine = await service.CreateProductAsync(stock: 10, threshold: 2);
        await HoldAsync(stuck, ["s0", "s1", "s2"]);
        await ExpiryRaceTests.WaitUntilPast(await HoldAsync(fine, ["f0", "f1", "f2"]));
        var expiry = service.Get<HoldExpiry>();

        service.Faults.FailTransactionsNaming = stuck;
        var expired = await expiry.ExpireDueAsync(default);

        Assert.Equal(3, expired);
        Assert.Equal(0, await ReservedAsync(fine));
        Assert.Equal(3, await ReservedAsync(stuck));

        service.Faults.FailTransactionsNaming = null;
        Assert.Equal(3, await expiry.ExpireDueAsync(default));
        Assert.Equal(0, await ReservedAsync(stuck));
        await service.AssertInvariantsAsync(stuck, fine);
    }

    [Fact]
    public async Task A_hold_that_keeps_failing_does_not_keep_the_other_holds_of_its_row_from_expiring()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 2);
        var ids = Enumerable.Range(0, 4).Select(_ => "cart-" + Guid.NewGuid().ToString("N")[..8]).ToList();
        await ExpiryRaceTests.WaitUntilPast(await HoldAsync(sku, ids));
        var expiry = service.Get<HoldExpiry>();

        // The row's batch names every hold, so it fails; then each hold is tried on its own.
        service.Faults.FailTransactionsNaming = ids[0];
        Assert.Equal(3, await expiry.ExpireDueAsync(default));
        Assert.Equal(1, await ReservedAsync(sku));

        service.Faults.FailTransactionsNaming = null;
        Assert.Equal(1, await expiry.ExpireDueAsync(default));
        Assert.Equal(0, await ReservedAsync(sku));
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    public async Task A_reservation_whose_reclaim_cannot_expire_the_due_hold_is_503_not_a_false_out_of_stock()
    {
        var sku = await service.CreateProductAsync(stock: 2, threshold: 0);
        var abandoned = "cart-" + Guid.NewGuid().ToString("N")[..8];
        using var platform = service.Client(TestService.ReserveKey);
        var hold = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = abandoned, ttl_seconds = 1 }));
        await ExpiryRaceTests.WaitUntilPast(hold.GetProperty("expires_at").GetDateTimeOffset());

        service.Faults.FailTransactionsNaming = abandoned;
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "next" }), 503, "contention");

        // Retried (past the reclaim's 250 ms per-product guard) once the row takes writes again, it holds.
        service.Faults.FailTransactionsNaming = null;
        await Task.Delay(300);
        Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "next" })).StatusCode);
    }
}

public class ExtensionTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task A_hold_can_be_extended_repeatedly_without_shortening_and_then_outlives_its_first_expiry()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var platform = service.Client(TestService.ReserveKey);
        var created = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "checkout", ttl_seconds = 2 }));
        var firstExpiry = created.GetProperty("expires_at").GetDateTimeOffset();

        var extended = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/checkout/extend", new { ttl_seconds = 600 }));
        var shorter = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/checkout/extend", new { ttl_seconds = 60 }));

        var newExpiry = extended.GetProperty("expires_at").GetDateTimeOffset();
        Assert.True(newExpiry > firstExpiry.AddSeconds(590));
        Assert.Equal(newExpiry, shorter.GetProperty("expires_at").GetDateTimeOffset());

        // Past the first expiry plus several sweeps, the hold is still there.
        while (DateTimeOffset.UtcNow < firstExpiry.AddSeconds(2))
        {
            await Task.Delay(100);
        }

        var reservation = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/checkout"));
        Assert.Equal("ACTIVE", reservation.GetProperty("status").GetString());
        Assert.Equal(2, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
    }

    [Fact]
    public async Task Extending_an_expired_released_or_unknown_hold_is_refused_clearly()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var platform = service.Client(TestService.ReserveKey);
        var created = await TestService.ReadJsonAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "late", ttl_seconds = 1 }));
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "gone" })).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/gone")).EnsureSuccessStatusCode();
        while (DateTimeOffset.UtcNow <= created.GetProperty("expires_at").GetDateTimeOffset())
        {
            await Task.Delay(50);
        }

        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/late/extend", new { ttl_seconds = 60 }), 409, "reservation_expired");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/gone/extend", new { ttl_seconds = 60 }), 409, "reservation_not_active");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/nobody/extend", new { ttl_seconds = 60 }), 404, "reservation_not_found");
        await TestService.AssertProblemAsync(
            await platform.PostAsJsonAsync($"/inventory/{sku}/reserve/late/extend", new { ttl_seconds = 0 }), 400, "validation_failed");
    }

    [Fact]
    public async Task Extensions_racing_a_release_either_extend_the_active_hold_or_say_it_is_released_and_never_revive_it()
    {
        var sku = await service.CreateProductAsync(stock: 5);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "raced", ttl_seconds = 30 })).EnsureSuccessStatusCode();

        var extends = Enumerable.Range(0, 100).Select(i =>
            platform.PostAsJsonAsync($"/inventory/{sku}/reserve/raced/extend", new { ttl_seconds = 60 + i })).ToList();
        var release = platform.DeleteAsync($"/inventory/{sku}/reserve/raced");
        Assert.Equal(HttpStatusCode.NoContent, (await release).StatusCode);
        foreach (var answer in await Task.WhenAll(extends))
        {
            if (answer.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("ACTIVE", (await TestService.ReadJsonAsync(answer)).GetProperty("status").GetString());
            }
            else
            {
                await TestService.AssertProblemAsync(answer, 409, "reservation_not_active");
            }
        }

        var hold = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/raced"));
        Assert.Equal("RELEASED", hold.GetProperty("status").GetString());
        Assert.Equal(5, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }
}

/// <summary>
/// The 5-second bound under load. Runs alone, after the parallel classes: it measures the service under the load
/// the test makes, not ten other test classes sharing the same two cores.
/// </summary>
[CollectionDefinition(nameof(ExpiryUnderLoadTests), DisableParallelization = true)]
public sealed class ExpiryUnderLoadCollection;

/// <summary>
/// The service on a DynamoDB Local of its own: the shared one holds every earlier test class's tables by the time
/// this runs, and a bound measured there would measure the suite's leftovers, not the sweep.
/// </summary>
public sealed class OwnDynamoDbService : TestService
{
    private Inventory.Api.Local.DynamoDbLocal? dynamoLocal;

    protected override IEnumerable<string> ExtraArgs => [$"--Storage:ServiceUrl={dynamoLocal!.ServiceUrl}"];

    public override async Task InitializeAsync()
    {
        dynamoLocal = await Inventory.Api.Local.DynamoDbLocal.StartAsync(dataDirectory: null);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        dynamoLocal?.Dispose();
    }
}

[Collection(nameof(ExpiryUnderLoadTests))]
[Trait(Lanes.Name, Lanes.Load)]
public class ExpiryUnderLoadTests(OwnDynamoDbService service, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<OwnDynamoDbService>
{
    [Fact]
    public async Task Three_hundred_abandoned_holds_are_released_on_time_while_a_reservation_storm_runs()
    {
        var abandoned = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            abandoned.Add(await service.CreateProductAsync(stock: 20, threshold: 2));
        }

        var busy = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            busy.Add(await service.CreateProductAsync(stock: 1000, threshold: 10));
        }

        using var platform = service.Client(TestService.ReserveKey);

        // Keep the service busy for the whole test: reserve/release traffic on other products, two workers each.
        using var stopStorm = new CancellationTokenSource();
        var stormOps = 0;
        var storm = Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            for (var n = 0; !stopStorm.IsCancellationRequested; n++)
            {
                var id = $"storm-{worker}-{n}";
                var sku = busy[worker % busy.Count];
                (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = id })).EnsureSuccessStatusCode();
                (await platform.DeleteAsync($"/inventory/{sku}/reserve/{id}")).EnsureSuccessStatusCode();
                Interlocked.Increment(ref stormOps);
            }
        }));

        // 300 abandoned carts arriving while the storm runs: ten waves of 30 (one hold per product), a quarter
        // second apart, each hold living two seconds, so expiries overlap with new holds and with the storm.
        var placing = new List<Task<(string Sku, DateTimeOffset ExpiresAt)>>();
        for (var wave = 0; wave < 10; wave++)
        {
            var cart = $"cart-{wave}";
            placing.AddRange(abandoned.Select(async sku =>
            {
                var created = await TestService.ReadJsonAsync(await platform.PostAsJsonAsync(
                    $"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = cart, ttl_seconds = 2 }));
                return (Sku: sku, ExpiresAt: created.GetProperty("expires_at").GetDateTimeOffset());
            }));
            await Task.Delay(250);
        }

        var holds = await Task.WhenAll(placing);

        // Wait (bounded) until every product has its units back, then judge each hold by the time the service
        // recorded for its expiry, so the check does not depend on how fast this loop polls.
        var giveUp = holds.Max(h => h.ExpiresAt).AddSeconds(15);
        var pending = new HashSet<string>(abandoned);
        while (pending.Count > 0 && DateTimeOffset.UtcNow < giveUp)
        {
            foreach (var sku in pending.ToList())
            {
                if ((await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64() == 0)
                {
                    pending.Remove(sku);
                }
            }

            // Holds are judged by the times the service recorded, not by this loop: it only needs to notice the end, and
            // reading 30 products five times a second would add to the load whose effect it measures.
            await Task.Delay(500);
        }

        await stopStorm.CancelAsync();
        await storm;

        Assert.True(pending.Count == 0, $"{pending.Count} products still held 15 s after their last hold expired");
        var lateness = new List<double>();
        foreach (var sku in abandoned)
        {
            for (var i = 0; i < 10; i++)
            {
                var hold = await TestService.ReadJsonAsync(await platform.GetAsync($"/inventory/{sku}/reserve/cart-{i}"));
                Assert.Equal("EXPIRED", hold.GetProperty("status").GetString());
                lateness.Add((hold.GetProperty("finished_at").GetDateTimeOffset() - hold.GetProperty("expires_at").GetDateTimeOffset()).TotalSeconds);
            }
        }

        output.WriteLine($"release after expires_at: median {lateness.Order().ElementAt(150):F2} s, worst {lateness.Max():F2} s; storm pairs: {stormOps}");
        Assert.True(lateness.Max() <= 5, $"holds released up to {lateness.Max():F1} s after expiring (median {lateness.Order().ElementAt(150):F1} s); storm pairs: {stormOps}");
        Assert.True(stormOps > 50, $"the storm only completed {stormOps} reserve/release pairs, so it did not load the service");
        foreach (var sku in abandoned)
        {
            Assert.Equal(20, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
        }

        await service.AssertInvariantsAsync([.. abandoned, .. busy]);
    }
}
