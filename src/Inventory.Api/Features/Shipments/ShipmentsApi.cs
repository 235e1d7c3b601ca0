using Inventory.Api.Domain;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Infrastructure;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Shipments;

public sealed record ShipmentLineRequest(string? ProductId, long? ExpectedQuantity, DateOnly? ExpectedDate, bool? AllowOverReceipt = null) : IRequestBody;

public sealed record CreateShipmentRequest(
    string? ShipmentId, string? SupplierReference, List<ShipmentLineRequest>? Lines, string? WarehouseId = null) : IRequestBody;

public sealed record ReceiptLineRequest(string? ProductId, long? Quantity) : IRequestBody;

public sealed record ReceiptRequest(string? ReceiptId, List<ReceiptLineRequest>? Lines) : IRequestBody;

/// <summary>One product on a shipment: <c>incoming_count</c> is what it still brings (0 once received in full or closed).</summary>
public sealed record ShipmentLineView(
    string ShipmentId, string SupplierReference, string ProductId, string WarehouseId, long ExpectedQuantity, long ReceivedQuantity,
    long IncomingCount, DateOnly ExpectedDate, bool AllowOverReceipt, ShipmentStatus Status)
{
    public static ShipmentLineView From(ShipmentLine l) => new(
        l.ShipmentId, l.SupplierReference, l.ProductId, l.WarehouseId, l.ExpectedQuantity, l.ReceivedQuantity, l.IncomingCount, l.ExpectedDate,
        l.AllowOverReceipt, l.Status);
}

public sealed record ReceiptLineView(string ProductId, long Quantity);

public sealed record ReceiptView(string ReceiptId, string ShipmentId, IReadOnlyList<ReceiptLineView> Lines, DateTimeOffset ReceivedAt, string ReceivedBy)
{
    public static ReceiptView From(Receipt r) =>
        new(r.ReceiptId, r.ShipmentId, r.Lines.Select(l => new ReceiptLineView(l.ProductId, l.Quantity)).ToList(), r.ReceivedAt, r.ReceivedBy);
}

public sealed record ShipmentView(
    string ShipmentId, string SupplierReference, string WarehouseId, ShipmentStatus Status, long IncomingCount, DateTimeOffset CreatedAt,
    string CreatedBy, DateTimeOffset? ClosedAt, IReadOnlyList<ShipmentLineView> Lines, IReadOnlyList<ReceiptView> Receipts)
{
    public static ShipmentView From(Shipment s) => new(
        s.ShipmentId, s.SupplierReference, s.WarehouseId, s.Status, s.Lines.Sum(l => l.IncomingCount), s.CreatedAt, s.CreatedBy, s.ClosedAt,
        s.Lines.Select(ShipmentLineView.From).ToList(), s.Receipts.Select(ReceiptView.From).ToList());
}

/// <summary><c>shipment</c> is the shipment as it is now (also on a replay).</summary>
public sealed record ReceiptResponse(ReceiptView Receipt, ShipmentView Shipment);

/// <summary>Inbound shipments (purchase orders) and their receipts: what an ERP or a warehouse system posts.</summary>
public static class ShipmentsApi
{
    public static IEndpointRouteBuilder MapShipmentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/shipments").WithTags("Shipments");
        group.MapPost("/", Create).RequireAuthorization(Policies.Admin)
            .WithSummary("Announce an inbound shipment into one warehouse: its lines' units count as incoming until received. Idempotent on shipment_id.")
            .WithDescription($"1 to {ShipmentCommands.MaxShipmentLines} lines, one per product, each for a stock row that exists in the warehouse (404 warehouse_not_found otherwise).")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/", List).RequireAuthorization(Policies.Admin)
            .WithSummary("A product's shipment lines: the open ones, earliest expected first (status=open, the default), or all of them (status=all).")
            .ProducesProblem(400);
        group.MapGet("/{shipmentId}", Get).RequireAuthorization(Policies.Admin)
            .WithSummary("A shipment with its lines (expected, received, still incoming) and its receipts.")
            .ProducesProblem(404);
        group.MapPost("/{shipmentId}/receipts", Receive).RequireAuthorization(Policies.Admin)
            .WithSummary("Book a delivery: each line's units onto its stock row and its shipment line, in one transaction. Idempotent on receipt_id.")
            .WithDescription(
                $"1 to {ShipmentCommands.MaxReceiptLines} lines, each a product on the shipment, at most once. Partial and repeated receipts are fine; " +
                "receiving past a line's expected quantity is 409 over_receipt unless the line allows it. A closed shipment is 409 shipment_closed. " +
                "The same receipt_id again answers the first receipt with Idempotent-Replayed: true and changes nothing.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{shipmentId}/close", Close).RequireAuthorization(Policies.Admin)
            .WithSummary("Close a shipment: what it has not delivered is no longer incoming, and nothing more can be received on it. Idempotent.")
            .ProducesProblem(404);
        return app;
    }

    public static async Task<Results<Created<ShipmentView>, Ok<ShipmentView>>> Create(
        CreateShipmentRequest body, ShipmentCommands store, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var lines = body.Lines ?? [];
        var warehouseId = body.WarehouseId ?? options.Value.DefaultWarehouseId;
        var validator = new Validator()
            .Id("shipment_id", body.ShipmentId)
            .Text("supplier_reference", body.SupplierReference, 200)
            .Id("warehouse_id", warehouseId)
            .Check(lines.Count is > 0 and <= ShipmentCommands.MaxShipmentLines, "lines", $"must hold 1 to {ShipmentCommands.MaxShipmentLines} lines.");
        for (var i = 0; i < lines.Count && i < ShipmentCommands.MaxShipmentLines; i++)
        {
            var line = lines[i];
            validator
                .Check(line is not null, $"lines[{i}]", "must be an object.")
                .Id($"lines[{i}].product_id", line?.ProductId)
                .Range($"lines[{i}].expected_quantity", line?.ExpectedQuantity, 1, Validator.MaxCount)
                .Check(line?.ExpectedDate is not null, $"lines[{i}].expected_date", "is required (a date such as 2026-12-03).")
                .Check(line?.ProductId is null || lines.Take(i).All(l => l?.ProductId != line.ProductId), $"lines[{i}].product_id", "is on an earlier line already: one line per product.");
        }

        validator.ThrowIfInvalid();
        var request = new NewShipment(body.ShipmentId!, body.SupplierReference!.Trim(), warehouseId,
            lines.Select(l => new NewShipmentLine(l.ProductId!, l.ExpectedQuantity!.Value, l.ExpectedDate!.Value, l.AllowOverReceipt ?? false)).ToList());
        var result = await store.CreateAsync(request, http.User.ActorOf(), ct);
        var view = ShipmentView.From(result.Shipment);
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Ok(view);
        }

        return TypedResults.Created($"/shipments/{Uri.EscapeDataString(view.ShipmentId)}", view);
    }

    public static async Task<Ok<ShipmentView>> Get(string shipmentId, ShipmentCommands store, CancellationToken ct)
    {
        new Validator().Id("shipment_id", shipmentId).ThrowIfInvalid();
        var shipment = await store.GetAsync(shipmentId, ct) ?? throw Problems.ShipmentNotFound(shipmentId);
        return TypedResults.Ok(ShipmentView.From(shipment));
    }

    public static async Task<Ok<PageView<ShipmentLineView>>> List(
        [FromQuery(Name = "product_id"), QueryId(Required = true, Description = "The product whose shipment lines to list.")] string? productId,
        [FromQuery, QueryEnum("open", "all", Description = "open (the default): lines still expected; all: every line.")] string? status,
        [FromQuery, QueryLimit] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken, ShipmentCommands store, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId)
            .Check(status is null or "open" or "all", "status", "must be open or all.")
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .ThrowIfInvalid();
        var page = await store.ListLinesAsync(productId!, openOnly: status != "all", pageSize ?? 50, nextToken, ct);
        return TypedResults.Ok(new PageView<ShipmentLineView>(page.Lines.Select(ShipmentLineView.From).ToList(), page.NextToken));
    }

    public static async Task<Results<Created<ReceiptResponse>, Ok<ReceiptResponse>>> Receive(
        string shipmentId, ReceiptRequest body, ShipmentCommands store, HttpContext http, CancellationToken ct)
    {
        var lines = body.Lines ?? [];
        var validator = new Validator()
            .Id("shipment_id", shipmentId)
            .Id("receipt_id", body.ReceiptId)
            .Check(lines.Count is > 0 and <= ShipmentCommands.MaxReceiptLines, "lines",
                $"must hold 1 to {ShipmentCommands.MaxReceiptLines} lines (one transaction takes 2 actions per line of DynamoDB's 100); split a larger delivery into several receipts.");
        for (var i = 0; i < lines.Count && i < ShipmentCommands.MaxReceiptLines; i++)
        {
            var line = lines[i];
            validator
                .Check(line is not null, $"lines[{i}]", "must be an object.")
                .Id($"lines[{i}].product_id", line?.ProductId)
                .Range($"lines[{i}].quantity", line?.Quantity, 1, Validator.MaxCount)
                .Check(line?.ProductId is null || lines.Take(i).All(l => l?.ProductId != line.ProductId), $"lines[{i}].product_id", "is on an earlier line already: one line per product.");
        }

        validator.ThrowIfInvalid();
        var result = await store.ReceiveAsync(
            shipmentId, body.ReceiptId!, lines.Select(l => new ReceiptLine(l.ProductId!, l.Quantity!.Value)).ToList(), http.User.ActorOf(), ct);
        var view = new ReceiptResponse(ReceiptView.From(result.Receipt), ShipmentView.From(result.Shipment));
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Ok(view);
        }

        return TypedResults.Created($"/shipments/{Uri.EscapeDataString(shipmentId)}", view);
    }

    public static async Task<Ok<ShipmentView>> Close(string shipmentId, ShipmentCommands store, HttpContext http, CancellationToken ct)
    {
        new Validator().Id("shipment_id", shipmentId).ThrowIfInvalid();
        var result = await store.CloseAsync(shipmentId, http.User.ActorOf(), ct);
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Ok(ShipmentView.From(result.Shipment));
    }
}
