using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Features.Inventory;

public sealed record TransferRequest(
    string? FromWarehouse, string? ToWarehouse, long? Quantity, string? Reason = null, string? TransferId = null) : IRequestBody;

public sealed record TransferView(
    string TransferId, string ProductId, string FromWarehouse, string ToWarehouse, long Quantity, string? Reason, DateTimeOffset TransferredAt)
{
    public static TransferView From(Transfer t) => new(t.TransferId, t.ProductId, t.FromWarehouse, t.ToWarehouse, t.Quantity, t.Reason, t.TransferredAt);
}

/// <summary><c>from</c> and <c>to</c> are the two rows now (also on a replay); null only if one could not be read after the transfer committed.</summary>
public sealed record TransferResponse(TransferView Transfer, InventoryRowView? From, InventoryRowView? To);

public static class TransfersApi
{
    public static IEndpointRouteBuilder MapTransfersApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/inventory/{productId}/transfers", Transfer).WithTags("Inventory").RequireAuthorization(Policies.Admin)
            .WithSummary("Move available units of a product from one warehouse row to another, all or nothing; idempotent on the Idempotency-Key header or transfer_id.")
            .WithDescription(
                "Only available units move (held ones stay with their carts): 409 insufficient_stock says how many are available. " +
                "Both rows must exist (create the destination with PUT first): 404 warehouse_not_found. Both rows' history gets a " +
                "TRANSFER entry with the transfer id as reference. A replay answers the first transfer with Idempotent-Replayed: true.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    public static async Task<Ok<TransferResponse>> Transfer(
        string productId, TransferRequest body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        TransferCommands transfers, HttpContext http, CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId)
            .Id("from_warehouse", body.FromWarehouse)
            .Id("to_warehouse", body.ToWarehouse)
            .Check(body.FromWarehouse is null || body.FromWarehouse != body.ToWarehouse, "to_warehouse", "must be another warehouse than from_warehouse.")
            .Range("quantity", body.Quantity, 1, Validator.MaxCount)
            .Text("reason", body.Reason, 500, required: false)
            .Id("Idempotency-Key", idempotencyKey, required: false)
            .Id("transfer_id", body.TransferId, required: false)
            .Check(idempotencyKey is not null || body.TransferId is not null, "transfer_id", "is required: send transfer_id or an Idempotency-Key header, the same on every retry.")
            .Check(idempotencyKey is null || body.TransferId is null || idempotencyKey == body.TransferId, "transfer_id", "disagrees with the Idempotency-Key header; send one of them.")
            .ThrowIfInvalid();

        var result = await transfers.TransferAsync(
            productId, body.FromWarehouse!, body.ToWarehouse!, body.Quantity!.Value, string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim(),
            body.TransferId ?? idempotencyKey!, http.User.ActorOf(), ct);
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Ok(new TransferResponse(
            TransferView.From(result.Transfer),
            result.From is { } from ? InventoryRowView.From(from) : null,
            result.To is { } to ? InventoryRowView.From(to) : null));
    }
}
