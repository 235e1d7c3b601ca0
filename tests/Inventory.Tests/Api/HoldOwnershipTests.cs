using System.Net;
using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>A service with two reserve keys, as two platforms (or a platform and a partner) would have.</summary>
public sealed class TwoPlatformService : TestService
{
    public const string OtherReserveKey = "test-other-reserve-key";

    protected override IEnumerable<string> ExtraArgs =>
        ["--ApiKeys:Keys:3:Name=other-platform", $"--ApiKeys:Keys:3:Key={OtherReserveKey}", "--ApiKeys:Keys:3:Scope=Reserve"];
}

/// <summary>
/// A hold belongs to the key that made it: another reserve key can neither see, extend, release nor sell it (it is
/// answered as if there were no such hold), nor take its reservation id; the owner and admins can.
/// </summary>
public class HoldOwnershipTests(TwoPlatformService service) : IClassFixture<TwoPlatformService>
{
    [Fact]
    public async Task Another_reserve_key_cannot_see_extend_release_or_sell_a_hold_and_the_units_stay_held()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var owner = service.Client(TestService.ReserveKey);
        using var other = service.Client(TwoPlatformService.OtherReserveKey);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "cart-owned" })).StatusCode);

        await TestService.AssertProblemAsync(await other.GetAsync($"/inventory/{sku}/reserve/cart-owned"), 404, "reservation_not_found");
        await TestService.AssertProblemAsync(await other.PostAsJsonAsync($"/inventory/{sku}/reserve/cart-owned/extend", new { ttl_seconds = 900 }), 404, "reservation_not_found");
        await TestService.AssertProblemAsync(await other.DeleteAsync($"/inventory/{sku}/reserve/cart-owned"), 404, "reservation_not_found");
        await TestService.AssertProblemAsync(
            await other.PostAsJsonAsync("/orders/stolen-order/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "cart-owned" } } }), 404, "reservation_not_found");
        await TestService.AssertProblemAsync(
            await other.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 3, reservation_id = "cart-owned" }), 409, "idempotency_conflict");

        var hold = await TestService.ReadJsonAsync(await owner.GetAsync($"/inventory/{sku}/reserve/cart-owned"));
        Assert.Equal("ACTIVE", hold.GetProperty("status").GetString());
        Assert.Equal(7, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());

        Assert.Equal(HttpStatusCode.OK, (await owner.PostAsJsonAsync($"/inventory/{sku}/reserve/cart-owned/extend", new { ttl_seconds = 900 })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/inventory/{sku}/reserve/cart-owned")).StatusCode);
        Assert.Equal(10, (await service.GetInventoryAsync(sku)).GetProperty("available_count").GetInt64());
    }

    [Fact]
    public async Task An_admin_can_release_any_hold_and_the_owner_can_sell_its_own()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        using var owner = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 2, reservation_id = "stuck-cart" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 1, reservation_id = "paid-cart" })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/inventory/{sku}/reserve/stuck-cart")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/inventory/{sku}/reserve/stuck-cart")).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await owner.PostAsJsonAsync("/orders/paid-order/fulfil", new { lines = new[] { new { product_id = sku, reservation_id = "paid-cart" } } })).StatusCode);

        var row = await service.GetInventoryAsync(sku);
        Assert.Equal(9, row.GetProperty("stock_count").GetInt64());
        Assert.Equal(0, row.GetProperty("reserved_count").GetInt64());
        await service.AssertInvariantsAsync(sku);
    }
}
