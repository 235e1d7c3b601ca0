using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.History;

public sealed record CountsView(long StockCount, long ReservedCount, long AvailableCount, long ThresholdLevel)
{
    public static CountsView From(StockCounts c) => new(c.Stock, c.Reserved, c.Available, c.Threshold);
}

/// <summary>
/// One change of a warehouse row's counts. <c>sequence</c> numbers the row's changes from 1 in the order they were
/// made; <c>by</c> is the API key's name (or the job) that made it.
/// </summary>
public sealed record HistoryEntryView(
    string ProductId,
    string WarehouseId,
    long Sequence,
    MoveKind Kind,
    long Quantity,
    CountsView Before,
    CountsView After,
    string By,
    string? Reason,
    string? Reference,
    DateTimeOffset At,
    int? SubRow = null)
{
    /// <summary>An entry of a hot row's sub-row carries which one (its counts and sequence are that sub-row's); others carry none.</summary>
    public static HistoryEntryView From(StockMovement m) => new(
        SubRows.ProductOf(m.ProductId), m.WarehouseId, m.Sequence, m.Kind, m.Quantity, CountsView.From(m.Before), CountsView.From(m.After), m.By,
        m.Reason, m.Reference, m.At, SubRows.IsSubRow(m.ProductId) ? SubRows.IndexOf(m.ProductId) : null);
}

public static class HistoryApi
{
    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/inventory/{productId}/history", List).WithTags("Inventory").RequireAuthorization(Policies.Admin)
            .WithSummary("Every change of a product's stock counts, newest first: kind, quantity, counts before and after, who, why. Paginated.")
            .ProducesProblem(400).ProducesProblem(404);
        return app;
    }

    public static async Task<Ok<PageView<HistoryEntryView>>> List(
        string productId,
        [FromQuery(Name = "warehouse_id"), QueryId(Description = "Only this warehouse's entries.")] string? warehouseId,
        [FromQuery, QueryEnum(typeof(MoveKind), Description = "Only changes of this kind.")] string? kind,
        [FromQuery, QueryTime(Description = "Only changes at or after this time, with its offset, such as 2026-11-29T10:00:00Z.")] string? from,
        [FromQuery, QueryTime(Description = "Only changes at or before this time, with its offset, such as 2026-11-29T10:00:00Z.")] string? to,
        [FromQuery, QueryLimit] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        InventoryStore inventory,
        HistoryRecords history,
        IOptions<InventoryOptions> options,
        CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId)
            .Id("warehouse_id", warehouseId, required: false)
            .OneOf<MoveKind>("kind", kind, out var parsedKind)
            .Time("from", from, out var since)
            .Time("to", to, out var until)
            .Check(since is null || until is null || since <= until, "from", "must not be after to.")
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .ThrowIfInvalid();

        var page = await history.ListAsync(productId, await SourcesAsync(productId, warehouseId, inventory, ct), new HistoryFilter(parsedKind, since, until), pageSize ?? 50, nextToken, ct);
        return TypedResults.Ok(new PageView<HistoryEntryView>(page.Entries.Select(HistoryEntryView.From).ToList(), page.NextToken));
    }

    /// <summary>
    /// Where a listing of the product's history reads (<see cref="HistoryRecords.Sources"/>), or the refusal: no such
    /// product, or no row in the warehouse asked for. Read before anything is answered.
    /// </summary>
    public static async Task<List<(string Key, string Warehouse)>> SourcesAsync(string productId, string? warehouseId, InventoryStore inventory, CancellationToken ct)
    {
        var rows = await inventory.GetRowsAsync(productId, ct);
        if (rows.Count == 0)
        {
            throw Problems.ProductNotFound(productId);
        }

        return warehouseId is not null && rows.All(r => r.WarehouseId != warehouseId)
            ? throw Problems.WarehouseNotFound(productId, warehouseId)
            : HistoryRecords.Sources(rows, warehouseId);
    }
}
