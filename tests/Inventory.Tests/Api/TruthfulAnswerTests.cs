using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Inventory.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Api;

/// <summary>Identical repeats, concurrent or later, get the first answer: never a refusal for something that happened.</summary>
public class ConcurrentRepeatTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Identical_concurrent_sales_of_one_order_all_answer_the_sale_and_sell_once()
    {
        const int Rounds = 20;
        const int Repeats = 10;
        var sku = await service.CreateProductAsync(stock: Rounds * 10, threshold: 0);
        using var platform = service.Client(TestService.ReserveKey);
        var answers = new List<(HttpStatusCode Status, bool Replayed, string Body)>();
        for (var round = 0; round < Rounds; round++)
        {
            // One held line and one direct line: both kinds used to be refused while the first call was committing.
            var hold = $"cart-{round}";
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = hold })).EnsureSuccessStatusCode();
            var order = new { lines = new object[] { new { product_id = sku, reservation_id = hold }, new { product_id = sku, quantity = 1 } } };
            var calls = Enumerable.Range(0, Repeats).Select(_ => platform.PostAsJsonAsync($"/orders/order-{round}/fulfil", order));
            foreach (var response in await Task.WhenAll(calls))
            {
                answers.Add((response.StatusCode, response.Headers.Contains("Idempotent-Replayed"), await response.Content.ReadAsStringAsync()));
            }
        }

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, $"{(int)a.Status}: {a.Body}"));
        Assert.Equal(Rounds, answers.Count(a => !a.Replayed));
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal((Rounds * 10) - (Rounds * 3), inventory.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, inventory.GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task Identical_concurrent_order_holds_and_adjustments_answer_the_first_call_and_apply_once()
    {
        const int Rounds = 10;
        const int Repeats = 10;
        var shirt = await service.CreateProductAsync(stock: 1_000, threshold: 0);
        var mug = await service.CreateProductAsync(stock: 1_000, threshold: 0);
        using var admin = service.Client();
        var statuses = new List<(HttpStatusCode Status, bool Replayed, string Body)>();
        for (var round = 0; round < Rounds; round++)
        {
            var hold = new { reservation_id = $"order-{round}", items = new[] { new { product_id = shirt, quantity = 2 }, new { product_id = mug, quantity = 1 } } };
            var holds = Enumerable.Range(0, Repeats).Select(_ => admin.PostAsJsonAsync("/reservations", hold));
            var adjustments = Enumerable.Range(0, Repeats).Select(_ =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{mug}/adjustments") { Content = JsonContent.Create(new { delta = 5, reason = "delivery" }) };
                request.Headers.Add("Idempotency-Key", $"delivery-{round}");
                return admin.SendAsync(request);
            });
            foreach (var response in await Task.WhenAll(holds.Concat(adjustments)))
            {
                statuses.Add((response.StatusCode, response.Headers.Contains("Idempotent-Replayed"), await response.Content.ReadAsStringAsync()));
            }
        }

        Assert.All(statuses, s => Assert.True(s.Status is HttpStatusCode.OK or HttpStatusCode.Created, $"{(int)s.Status}: {s.Body}"));
        Assert.Equal(2 * Rounds, statuses.Count(s => !s.Replayed));
        var shirtRow = await service.GetInventoryAsync(shirt);
        var mugRow = await service.GetInventoryAsync(mug);
        Assert.Equal(2 * Rounds, shirtRow.GetProperty("reserved_count").GetInt64());
        Assert.Equal(Rounds, mugRow.GetProperty("reserved_count").GetInt64());
        Assert.Equal(1_000 + (5 * Rounds), mugRow.GetProperty("stock_count").GetInt64());
        await service.AssertInvariantsAsync(shirt, mug);
    }

    [Fact]
    public async Task Idempotency_keys_of_different_products_never_collide_whatever_the_ids_contain()
    {
        var plain = await service.CreateProductAsync(stock: 10, sku: "P" + Guid.NewGuid().ToString("N")[..6]);
        var colon = await service.CreateProductAsync(stock: 10, sku: plain + ":x");
        using var admin = service.Client();

        async Task<HttpResponseMessage> Adjust(string sku, string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments") { Content = JsonContent.Create(new { delta = 5, reason = "received" }) };
            request.Headers.Add("Idempotency-Key", key);
            return await admin.SendAsync(request);
        }

        var first = await Adjust(plain, "x:k1");
        var second = await Adjust(colon, "k1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(15, (await service.GetInventoryAsync(colon)).GetProperty("stock_count").GetInt64());
    }
}

/// <summary>A service whose DynamoDB client can cancel transactions for any reason and run code right after a commit.</summary>
public sealed class FaultyService : FaultInjectingService
{
    protected override IEnumerable<string> ExtraArgs => ["--Storage:MaxWriteAttempts=3", "--Storage:RequestTimeoutSeconds=2"];
}

/// <summary>Once a write committed, its answer is its success, and nothing it implies depends on the caller.</summary>
public class PostCommitTests(FaultyService service) : IClassFixture<FaultyService>, IDisposable
{
    public void Dispose()
    {
        service.Faults.FailNext(0);
        service.Faults.InjectedCode = "TransactionConflict";
        service.Faults.AfterCommit = null;
        service.Faults.AfterCommitNaming = null;
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_client_that_hangs_up_after_the_commit_still_gets_its_status_and_alert_written()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var hangUp = new CancellationTokenSource();
        service.Faults.AfterCommitNaming = "gone-" + sku;
        service.Faults.AfterCommit = async () =>
        {
            service.Faults.AfterCommit = null;
            service.Faults.AfterCommitNaming = null;
            await hangUp.CancelAsync();
            await Task.Delay(300); // the server notices the closed connection before its post-commit work starts
        };
        using var platform = service.Client(TestService.ReserveKey);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "gone-" + sku }, hangUp.Token));

        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "LOW_STOCK", "the stored status follows the committed hold");
        var alerts = await Eventually.ValueAsync(() => service.AlertsForAsync(sku), a => a.Count >= 2, "the alert of the committed hold");
        Assert.Contains(alerts, a => a.GetProperty("new_status").GetString() == "LOW_STOCK");
    }

    [Fact]
    public async Task A_hold_that_keeps_conflicting_is_503_with_nothing_changed_and_its_retry_holds()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "IN_STOCK", "the new row stores IN_STOCK");
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.FailNext(100); // every transaction conflicts, as on a row other transactions keep touching

        var refused = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "kept" });
        service.Faults.FailNext(0);

        await TestService.AssertProblemAsync(refused, 503, "contention");
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        Assert.Equal("IN_STOCK", await service.StoredStatusAsync(sku));
        await service.AssertInvariantsAsync(sku);

        var retried = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "kept" });
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        await Eventually.TrueAsync(async () => await service.StoredStatusAsync(sku) == "LOW_STOCK", "the stored status follows the hold");
        await service.AssertInvariantsAsync(sku);
    }

    [Theory]
    [InlineData("ThrottlingError")]
    [InlineData("ProvisionedThroughputExceeded")]
    public async Task Throttling_is_retried_and_then_answered_503_storage_busy_with_nothing_changed(string code)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.InjectedCode = code;

        service.Faults.FailNext(2);
        Assert.Equal(HttpStatusCode.Created, (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "a" })).StatusCode);

        service.Faults.FailNext(1000);
        var refused = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "b" });
        service.Faults.FailNext(0);

        await TestService.AssertProblemAsync(refused, 503, "storage_busy");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(1, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }

    [Theory]
    [InlineData("ValidationError")]
    [InlineData("SomethingNew")]
    public async Task Other_cancellation_reasons_are_a_logged_500_not_a_refusal(string code)
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var platform = service.Client(TestService.ReserveKey);
        service.Faults.InjectedCode = code;
        service.Faults.FailNext(1);

        var response = await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "v" });
        var sale = await platform.PostAsJsonAsync("/orders/o-" + code + "/fulfil", new { lines = new[] { new { product_id = sku, quantity = 1 } } });

        await TestService.AssertProblemAsync(response, 500, "internal_error");
        Assert.Equal(HttpStatusCode.OK, sale.StatusCode); // the next write is unaffected
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }
}
