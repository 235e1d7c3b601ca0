using Inventory.Api.Infrastructure;
using Inventory.Api.Domain;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Inventory.Api.Features.Inventory;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Reservations;

public sealed record ReserveRequest(long? Quantity, string? ReservationId, string? WarehouseId = null, int? TtlSeconds = null) : IRequestBody;

public sealed record ExtendRequest(int? TtlSeconds) : IRequestBody;

public sealed record OrderReserveItem(string? ProductId, long? Quantity, string? WarehouseId = null) : IRequestBody;

public sealed record OrderReserveRequest(string? ReservationId, List<OrderReserveItem>? Items, int? TtlSeconds = null) : IRequestBody;

public sealed record ReservationView(
    string ReservationId, string ProductId, string WarehouseId, long Quantity, ReservationStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? FinishedAt)
{
    public static ReservationView From(Reservation r) =>
        new(r.ReservationId, r.ProductId, r.WarehouseId, r.Quantity, r.Status, r.CreatedAt, r.ExpiresAt, r.FinishedAt);
}

public sealed record OrderReservationView(string ReservationId, DateTimeOffset ExpiresAt, IReadOnlyList<ReservationView> Items);

public static class ReservationsApi
{
    public static IEndpointRouteBuilder MapReservationsApi(this IEndpointRouteBuilder app)
    {
        var product = app.MapGroup("/inventory/{productId}/reserve").WithTags("Reservations").RequireAuthorization(Policies.Reserve);
        product.MapPost("/", Reserve)
            .WithSummary("Hold units for a cart. Idempotent on reservation_id.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        product.MapGet("/{reservationId}", GetReservation)
            .WithSummary("A reservation and its state.")
            .ProducesProblem(404);
        product.MapPost("/{reservationId}/extend", Extend)
            .WithSummary("Keep a hold until at least ttl_seconds from now. Never shortens it; safe to repeat.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        product.MapDelete("/{reservationId}", Release)
            .WithSummary("Give a hold's units back. Safe to repeat.")
            .ProducesProblem(404).ProducesProblem(409);

        app.MapGet("/inventory/{productId}/reservations", List).WithTags("Reservations").RequireAuthorization(Policies.Admin)
            .WithSummary("A product's reservations (admin), optionally only those with one status. Paginated.")
            .ProducesProblem(400);

        app.MapPost("/reservations", ReserveOrder).WithTags("Reservations").RequireAuthorization(Policies.Reserve)
            .WithSummary("Hold several products for one order, all or nothing. Idempotent on reservation_id.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    public static async Task<Results<Created<ReservationView>, Ok<ReservationView>>> Reserve(
        string productId, ReserveRequest body, HoldCommands holds, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var settings = options.Value;
        new Validator()
            .Id("product_id", productId)
            .Id("reservation_id", body.ReservationId)
            .Id("warehouse_id", body.WarehouseId, required: false)
            .Range("quantity", body.Quantity, 1, settings.MaxQuantityPerLine)
            .Range("ttl_seconds", body.TtlSeconds, settings.MinReservationTtlSeconds, settings.MaxReservationTtlSeconds, required: false)
            .ThrowIfInvalid();

        var result = await holds.ReserveAsync(
            body.ReservationId!,
            [new ReserveItem(productId, body.WarehouseId, body.Quantity!.Value)],
            body.TtlSeconds ?? settings.DefaultReservationTtlSeconds,
            http.User.ActorOf(),
            ct);
        var view = ReservationView.From(result.Reservations[0]);
        return Answer(result, view, http, $"/inventory/{Uri.EscapeDataString(productId)}/reserve/{Uri.EscapeDataString(view.ReservationId)}");
    }

    public static async Task<Ok<PageView<ReservationView>>> List(
        string productId, [FromQuery, QueryEnum(typeof(ReservationStatus), Description = "Only holds of this status.")] string? status, [FromQuery, QueryLimit] string? limit, [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        ReservationRecords records, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId)
            .OneOf<ReservationStatus>("status", status, out var parsed)
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .ThrowIfInvalid();

        var page = await records.ListAsync(productId, parsed, pageSize ?? 50, nextToken, ct);
        return TypedResults.Ok(new PageView<ReservationView>(page.Reservations.Select(ReservationView.From).ToList(), page.NextToken));
    }

    public static async Task<Ok<ReservationView>> GetReservation(
        string productId, string reservationId, HoldCommands holds, HttpContext http, CancellationToken ct)
    {
        new Validator().Id("product_id", productId).Id("reservation_id", reservationId).ThrowIfInvalid();
        var reservation = await holds.GetAsync(productId, reservationId, http.User.ActorOf(), ct) ?? throw Problems.ReservationNotFound(productId, reservationId);
        return TypedResults.Ok(ReservationView.From(reservation));
    }

    public static async Task<Ok<ReservationView>> Extend(
        string productId, string reservationId, ExtendRequest body, HoldCommands holds, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var settings = options.Value;
        new Validator()
            .Id("product_id", productId)
            .Id("reservation_id", reservationId)
            .Range("ttl_seconds", body.TtlSeconds, settings.MinReservationTtlSeconds, settings.MaxReservationTtlSeconds)
            .ThrowIfInvalid();
        return TypedResults.Ok(ReservationView.From(await holds.ExtendAsync(productId, reservationId, body.TtlSeconds!.Value, http.User.ActorOf(), ct)));
    }

    public static async Task<NoContent> Release(string productId, string reservationId, HoldCommands holds, HttpContext http, CancellationToken ct)
    {
        new Validator().Id("product_id", productId).Id("reservation_id", reservationId).ThrowIfInvalid();
        await holds.ReleaseAsync(productId, reservationId, http.User.ActorOf(), ct);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Created<OrderReservationView>, Ok<OrderReservationView>>> ReserveOrder(
        OrderReserveRequest body, HoldCommands holds, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var settings = options.Value;
        var items = body.Items ?? [];
        var validator = new Validator()
            .Id("reservation_id", body.ReservationId)
            .Range("ttl_seconds", body.TtlSeconds, settings.MinReservationTtlSeconds, settings.MaxReservationTtlSeconds, required: false)
            .Check(items.Count > 0, "items", "must hold at least one item.")
            .Check(items.Where(i => i?.ProductId is not null).GroupBy(i => i.ProductId).All(g => g.Count() == 1),
                "items", "must name each product once; add the quantities together.");
        for (var i = 0; i < items.Count; i++)
        {
            validator
                .Check(items[i] is not null, $"items[{i}]", "must be an object.")
                .Id($"items[{i}].product_id", items[i]?.ProductId)
                .Id($"items[{i}].warehouse_id", items[i]?.WarehouseId, required: false)
                .Range($"items[{i}].quantity", items[i]?.Quantity, 1, settings.MaxQuantityPerLine);
        }

        validator.ThrowIfInvalid();

        var result = await holds.ReserveAsync(
            body.ReservationId!,
            items.Select(i => new ReserveItem(i.ProductId!, i.WarehouseId, i.Quantity!.Value)).ToList(),
            body.TtlSeconds ?? settings.DefaultReservationTtlSeconds,
            http.User.ActorOf(),
            ct);
        var view = new OrderReservationView(
            body.ReservationId!, result.Reservations.Min(r => r.ExpiresAt), result.Reservations.Select(ReservationView.From).ToList());
        return Answer(result, view, http, location: null);
    }

    /// <summary>A replay answers 200 with the original reservation and says so; a new hold answers 201.</summary>
    private static Results<Created<T>, Ok<T>> Answer<T>(ReservationResult result, T view, HttpContext http, string? location)
    {
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Ok(view);
        }

        return TypedResults.Created(location, view);
    }
}
