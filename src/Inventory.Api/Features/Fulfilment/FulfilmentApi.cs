using Inventory.Api.Infrastructure;
using Inventory.Api.Domain;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Fulfilment;

public sealed record FulfilLineRequest(string? ProductId, string? ReservationId = null, long? Quantity = null, string? WarehouseId = null) : IRequestBody;

public sealed record FulfilRequest(List<FulfilLineRequest>? Lines) : IRequestBody;

public sealed record FulfilledLineView(string ProductId, string WarehouseId, long Quantity, string? ReservationId);

public sealed record FulfilmentView(string OrderId, string Status, DateTimeOffset FulfilledAt, IReadOnlyList<FulfilledLineView> Lines);

public static class FulfilmentApi
{
    /// <summary>Far below the transaction ceiling; the exact action count is checked again when the lines are resolved.</summary>
    public const int MaxLines = 99;

    public static IEndpointRouteBuilder MapFulfilmentApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/orders/{orderId}/fulfil", Fulfil).WithTags("Fulfilment").RequireAuthorization(Policies.Reserve)
            .WithSummary("Sell an order's lines, all or nothing: convert reservations, or sell directly from available stock. Idempotent on the order id.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    public static async Task<Ok<FulfilmentView>> Fulfil(
        string orderId, FulfilRequest body, SaleCommands store, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var lines = body.Lines ?? [];
        var validator = new Validator()
            .Id("order_id", orderId)
            .Check(lines.Count is > 0 and <= MaxLines, "lines", $"must hold 1 to {MaxLines} lines.")
            .Check(lines.Where(l => l?.ReservationId is not null).GroupBy(l => (l.ProductId, l.ReservationId)).All(g => g.Count() == 1),
                "lines", "must name each reservation once.");
        for (var i = 0; i < lines.Count && i < MaxLines; i++)
        {
            var line = lines[i];
            validator
                .Check(line is not null, $"lines[{i}]", "must be an object.")
                .Id($"lines[{i}].product_id", line?.ProductId)
                .Id($"lines[{i}].reservation_id", line?.ReservationId, required: false)
                .Id($"lines[{i}].warehouse_id", line?.WarehouseId, required: false)
                .Range($"lines[{i}].quantity", line?.Quantity, 1, options.Value.MaxQuantityPerLine, required: line?.ReservationId is null)
                .Check(line?.ReservationId is null || line.WarehouseId is null, $"lines[{i}].warehouse_id",
                    "comes from the reservation; leave it out when reservation_id is given.");
        }

        validator.ThrowIfInvalid();

        var result = await store.FulfilAsync(
            orderId, lines.Select(l => new FulfilLine(l.ProductId!, l.ReservationId, l.Quantity, l.WarehouseId)).ToList(), http.User.ActorOf(), ct);
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Ok(new FulfilmentView(
            result.OrderId, "FULFILLED", result.FulfilledAt,
            result.Lines.Select(l => new FulfilledLineView(l.ProductId, l.WarehouseId, l.Quantity, l.ReservationId)).ToList()));
    }
}
