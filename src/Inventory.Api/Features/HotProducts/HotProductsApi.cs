using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.HotProducts;

public sealed record MarkHotRequest(int? SubRows, string? WarehouseId = null) : IRequestBody;

/// <summary>How a row's units sit over its sub-rows: <c>available_by_sub_row[0]</c> is the row itself.</summary>
public sealed record HotRowView(string ProductId, string WarehouseId, int SubRows, bool Folding, IReadOnlyList<long> AvailableBySubRow)
{
    public static HotRowView From(SpreadResult r) => new(r.ProductId, r.WarehouseId, r.SubRows, r.Folding, r.AvailableBySubRow);
}

/// <summary>
/// Hot products: an admin spreads a warehouse row over sub-rows in separate partitions before a sale that one row
/// could not take (about 500 holds a second on AWS), watches how its units sit, and folds it back afterwards.
/// </summary>
public static class HotProductsApi
{
    public static IEndpointRouteBuilder MapHotProductsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/inventory/{productId}/hot").WithTags("Inventory").RequireAuthorization(Policies.Admin);
        group.MapPut("/", Mark)
            .WithSummary($"Mark a warehouse row hot: spread its units over 2 to {Domain.SubRows.Max} sub-rows so holds are no longer limited by one item's partition.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/", Describe)
            .WithSummary("How a warehouse row's available units sit over its sub-rows (one entry for a row that is not hot).")
            .ProducesProblem(400).ProducesProblem(404);
        group.MapDelete("/", Fold)
            .WithSummary("Turn a hot row off: new holds take from the row itself, and each sub-row is folded back once its holds have ended.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    public static async Task<Ok<HotRowView>> Mark(
        string productId, MarkHotRequest body, HotRows hot, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId)
            .Id("warehouse_id", body.WarehouseId, required: false)
            .Range("sub_rows", body.SubRows, 2, Domain.SubRows.Max)
            .ThrowIfInvalid();
        return TypedResults.Ok(HotRowView.From(await hot.SpreadAsync(productId, body.WarehouseId ?? options.Value.DefaultWarehouseId, body.SubRows!.Value, ct)));
    }

    public static async Task<Ok<HotRowView>> Describe(
        string productId, [FromQuery(Name = "warehouse_id"), QueryId(Description = "The row's warehouse; without it, the default warehouse.")] string? warehouseId, HotRows hot, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator().Id("product_id", productId).Id("warehouse_id", warehouseId, required: false).ThrowIfInvalid();
        return TypedResults.Ok(HotRowView.From(await hot.DescribeAsync(productId, warehouseId ?? options.Value.DefaultWarehouseId, ct)));
    }

    public static async Task<Ok<HotRowView>> Fold(
        string productId, [FromQuery(Name = "warehouse_id"), QueryId(Description = "The row's warehouse; without it, the default warehouse.")] string? warehouseId, HotRows hot, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator().Id("product_id", productId).Id("warehouse_id", warehouseId, required: false).ThrowIfInvalid();
        return TypedResults.Ok(HotRowView.From(await hot.FoldAsync(productId, warehouseId ?? options.Value.DefaultWarehouseId, ct)));
    }
}
