using Inventory.Api.Infrastructure;
using Inventory.Api.Domain;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Inventory.Api.Features.Shipments;

namespace Inventory.Api.Features.Inventory;

public sealed record SetInventoryRequest(
    string? WarehouseId = null, long? StockCount = null, long? ThresholdLevel = null, string? Category = null, long? ExpectedVersion = null) : IRequestBody;

public sealed record AdjustInventoryRequest(long? Delta, string? Reason, string? WarehouseId = null) : IRequestBody;

public sealed record AdjustmentView(string WarehouseId, long Delta, string Reason, DateTimeOffset AppliedAt);

/// <summary><c>Inventory</c> is the row now (also on a replay); null only if it could not be read after the adjustment committed.</summary>
public sealed record AdjustmentResponse(AdjustmentView Adjustment, InventoryRowView? Inventory);

public sealed record CheckItem(string? Sku, long? Quantity) : IRequestBody;

public sealed record CheckRequest(List<CheckItem>? Items) : IRequestBody;

public sealed record CheckedItem(string Sku, long Quantity, bool Found, long AvailableCount, bool Available);

public sealed record CheckResponse(string Status, IReadOnlyList<CheckedItem> Items);

public static class InventoryApi
{
    /// <summary>The most lines one check may list (documented in docs/api.md); above it the check is refused unread.</summary>
    public const int MaxCheckItems = 100;

    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/inventory").WithTags("Inventory");

        group.MapGet("/{productId}", GetInventory).RequireAuthorization(Policies.Read)
            .WithSummary("Stock of a product: totals and one row per warehouse (strongly consistent).")
            .ProducesProblem(404);
        group.MapPut("/{productId}", SetInventory).RequireAuthorization(Policies.Admin)
            .WithSummary("Set stock, threshold or category of a warehouse row, guarded by If-Match or expected_version.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(412).ProducesProblem(428);
        group.MapPost("/{productId}/adjustments", Adjust).RequireAuthorization(Policies.Admin)
            .WithSummary("Add or remove units (shipment received, damage), idempotent on the Idempotency-Key header.")
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/", List).RequireAuthorization(Policies.Admin)
            .WithSummary("List rows, optionally by category or by status, a page at a time.")
            .ProducesProblem(400);
        group.MapPost("/check", Check).RequireAuthorization(Policies.Read)
            .WithSummary("Can these quantities be bought now?")
            .ProducesProblem(400);
        return app;
    }

    public static async Task<Ok<InventoryView>> GetInventory(
        string productId, [FromQuery(Name = "warehouse_id"), QueryId(Description = "Only this warehouse's row.")] string? warehouseId, InventoryStore store, ShipmentCommands shipments, HttpContext http,
        CancellationToken ct)
    {
        new Validator().Id("product_id", productId).Id("warehouse_id", warehouseId, required: false).ThrowIfInvalid();

        // The product's open shipment lines (one Query of a sparse index, usually empty) are read beside its rows; if
        // they cannot be read, the stock is answered without them (incoming_count null), never refused.
        var openLines = shipments.OpenLinesOrNullAsync(productId, ct);
        var rows = await RowsAsync(productId, warehouseId, store, http, ct);
        var lines = await openLines;

        // Stock is live data: no cache may answer for us.
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(lines is null ? InventoryView.From(productId, rows) : InventoryView.From(productId, rows, Incoming.ByWarehouse(lines)));
    }

    private static async Task<IReadOnlyList<InventoryRow>> RowsAsync(
        string productId, string? warehouseId, InventoryStore store, HttpContext http, CancellationToken ct)
    {
        IReadOnlyList<InventoryRow> rows;
        if (warehouseId is null)
        {
            rows = await store.GetRowsAsync(productId, ct);
            if (rows.Count == 0)
            {
                throw Problems.ProductNotFound(productId);
            }

            http.Response.Headers.ETag = InventoryView.ETagFor(rows);
        }
        else
        {
            var row = await store.GetRowAsync(productId, warehouseId, ct)
                ?? throw ((await store.GetRowsAsync(productId, ct)).Count == 0
                    ? Problems.ProductNotFound(productId)
                    : Problems.WarehouseNotFound(productId, warehouseId));
            rows = [row];
            http.Response.Headers.ETag = row.ETag;
        }

        return rows;
    }

    public static async Task<Results<Ok<InventoryRowView>, Created<InventoryRowView>>> SetInventory(
        string productId, SetInventoryRequest body, [FromHeader(Name = "If-Match")] string? ifMatch,
        StockCommands stock, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var warehouseId = body.WarehouseId ?? options.Value.DefaultWarehouseId;
        long headerVersion = 0;
        var validator = new Validator()
            .Id("product_id", productId)
            .Id("warehouse_id", warehouseId)
            .Range("stock_count", body.StockCount, 0, Validator.MaxCount, required: false)
            .Range("threshold_level", body.ThresholdLevel, 0, Validator.MaxCount, required: false)
            .Id("category", body.Category, required: false)
            .Range("expected_version", body.ExpectedVersion, 1, long.MaxValue, required: false)
            .Check(body.StockCount is not null || body.ThresholdLevel is not null || body.Category is not null,
                "stock_count", "at least one of stock_count, threshold_level or category is required.")
            .Check(ifMatch is null || ETags.TryParseVersion(ifMatch, out headerVersion),
                "If-Match", "must be an ETag this service issued, such as \"7\".")
            .Check(ifMatch is null || body.ExpectedVersion is null || body.ExpectedVersion == headerVersion,
                "expected_version", "disagrees with If-Match; send one of them.");
        validator.ThrowIfInvalid();

        long? expected = ifMatch is not null ? headerVersion : body.ExpectedVersion;
        var row = await stock.SetAsync(
            productId, warehouseId, new StockChange(body.StockCount, body.ThresholdLevel, body.Category), expected, versionFromIfMatch: ifMatch is not null,
            defaultThreshold: options.Value.DefaultThresholdLevel, http.User.ActorOf(), ct);

        http.Response.Headers.ETag = row.ETag;
        var view = InventoryRowView.From(row);
        return expected is null
            ? TypedResults.Created($"/inventory/{Uri.EscapeDataString(productId)}?warehouse_id={Uri.EscapeDataString(warehouseId)}", view)
            : TypedResults.Ok(view);
    }

    public static async Task<Ok<AdjustmentResponse>> Adjust(
        string productId, AdjustInventoryRequest body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        StockCommands stock, IOptions<InventoryOptions> options, HttpContext http, CancellationToken ct)
    {
        var warehouseId = body.WarehouseId ?? options.Value.DefaultWarehouseId;
        new Validator()
            .Id("product_id", productId)
            .Id("warehouse_id", warehouseId)
            .Id("Idempotency-Key", idempotencyKey)
            .Range("delta", body.Delta, -Validator.MaxCount, Validator.MaxCount)
            .NonZero("delta", body.Delta)
            .Text("reason", body.Reason, 500)
            .ThrowIfInvalid();

        var result = await stock.AdjustAsync(productId, warehouseId, body.Delta!.Value, body.Reason!.Trim(), idempotencyKey!, http.User.ActorOf(), ct);
        if (result.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        if (result.Row is { } row)
        {
            http.Response.Headers.ETag = row.ETag;
        }

        var a = result.Adjustment;
        return TypedResults.Ok(new AdjustmentResponse(
            new AdjustmentView(a.WarehouseId, a.Delta, a.Reason, a.AppliedAt), result.Row is { } current ? InventoryRowView.From(current) : null));
    }

    public static async Task<Ok<PageView<InventoryRowView>>> List(
        [FromQuery, QueryId(Description = "Only rows of this category (not with status).")] string? category,
        [FromQuery, QueryEnum(typeof(StockStatus), Description = "Only rows of this status (not with category).")] string? status,
        [FromQuery, QueryLimit] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken, InventoryStore store, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Id("category", category, required: false)
            .OneOf<StockStatus>("status", status, out var parsedStatus)
            .Check(category is null || status is null, "status", "filter by category or by status, not both.")
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .ThrowIfInvalid();

        var page = await store.ListAsync(category, parsedStatus, pageSize ?? 50, nextToken, ct);
        return TypedResults.Ok(new PageView<InventoryRowView>(page.Rows.Select(InventoryRowView.From).ToList(), page.NextToken));
    }

    public static async Task<Ok<CheckResponse>> Check(
        CheckRequest body, InventoryStore store, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        var items = body.Items ?? [];
        var validator = new Validator()
            .Check(items.Count is > 0 and <= MaxCheckItems, "items", $"must hold 1 to {MaxCheckItems} items.");
        for (var i = 0; i < items.Count && i < MaxCheckItems; i++)
        {
            validator
                .Check(items[i] is not null, $"items[{i}]", "must be an object.")
                .Id($"items[{i}].sku", items[i]?.Sku)
                .Range($"items[{i}].quantity", items[i]?.Quantity, 1, options.Value.MaxQuantityPerLine);
        }

        validator.ThrowIfInvalid();

        // One read per distinct sku, however often a sku is listed: a line repeated a hundred times costs one query.
        var skus = items.Select(i => i.Sku!).Distinct(StringComparer.Ordinal).ToList();
        var rowsBySku = (await Task.WhenAll(skus.Select(sku => store.GetRowsAsync(sku, ct))))
            .Select((rows, i) => (Sku: skus[i], Rows: rows))
            .ToDictionary(s => s.Sku, s => s.Rows, StringComparer.Ordinal);
        var checkedItems = items.Select(item =>
        {
            // What a reservation without a warehouse would get: a hold never spans warehouses, so the best single one.
            var rows = rowsBySku[item.Sku!];
            var available = rows.Count == 0 ? 0 : rows.Max(r => r.AvailableCount);
            return new CheckedItem(item.Sku!, item.Quantity!.Value, rows.Count > 0, available, available >= item.Quantity);
        }).ToList();
        return TypedResults.Ok(new CheckResponse(checkedItems.All(i => i.Available) ? "AVAILABLE" : "UNAVAILABLE", checkedItems));
    }
}
