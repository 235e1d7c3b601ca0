using System.Text;
using Inventory.Api.Domain;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Exports;

public sealed class ExportOptions
{
    public const string Section = "Exports";

    /// <summary>How many rows (or history entries) an export reads per DynamoDB page before writing them out.</summary>
    public int PageSize { get; set; } = 100;
}

/// <summary>
/// CSV exports for staff and ERPs, written page by page as DynamoDB answers: the response never holds more than one
/// page, whatever the size of the table. The stock export's first six columns are the import's, so a file exported
/// here imports again as it is (the other columns are for reading, and the import ignores them).
/// </summary>
public static class ExportsApi
{
    public static readonly IReadOnlyList<string> StockColumns =
        [.. StockImport.Columns, "reserved", "available", "status", "category", "version", "last_updated"];

    public static readonly IReadOnlyList<string> HistoryColumns =
    [
        "at", "product_id", "warehouse_id", "sequence", "kind", "quantity",
        "stock_before", "reserved_before", "available_before", "threshold_before",
        "stock_after", "reserved_after", "available_after", "threshold_after", "by", "reason", "reference",
    ];

    private const string CsvType = "text/csv; charset=utf-8";

    public static IEndpointRouteBuilder MapExportsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/exports/stock", Stock).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Every stock row as CSV (or those of a category or a status), streamed; the columns re-import as they are.")
            .Produces<string>(200, contentType: "text/csv")
            .ProducesProblem(400);
        app.MapGet("/admin/exports/history/{productId}", History).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("A product's stock history as CSV, newest first, streamed; filtered like GET /inventory/{productId}/history.")
            .Produces<string>(200, contentType: "text/csv")
            .ProducesProblem(400).ProducesProblem(404);
        return app;
    }

    public static PushStreamHttpResult Stock(
        [FromQuery] string? category, [FromQuery] string? status, InventoryStore store, IOptions<ExportOptions> options, TimeProvider clock,
        HttpContext http)
    {
        new Validator()
            .Id("category", category, required: false)
            .OneOf<StockStatus>("status", status, out var parsedStatus)
            .Check(category is null || status is null, "status", "filter by category or by status, not both.")
            .ThrowIfInvalid();

        var pageSize = Math.Clamp(options.Value.PageSize, 1, 1000);
        return Csv(http, $"stock-{clock.GetUtcNow():yyyyMMdd-HHmmss}.csv", async (write, ct) =>
        {
            await write(Domain.Csv.Line([.. StockColumns]));
            string? token = null;
            do
            {
                var page = await store.ListAsync(category, parsedStatus, pageSize, token, ct);
                var text = new StringBuilder();
                foreach (var r in page.Rows)
                {
                    text.Append(Domain.Csv.Line(r.ProductId, r.WarehouseId, r.StockCount, null, null, r.ThresholdLevel,
                        r.ReservedCount, r.AvailableCount, r.Status.ToString(), r.Category, r.Version, r.LastUpdated));
                }

                await write(text.ToString());
                token = page.NextToken;
            }
            while (token is not null);
        });
    }

    public static async Task<PushStreamHttpResult> History(
        string productId,
        [FromQuery(Name = "warehouse_id")] string? warehouseId,
        [FromQuery] string? kind,
        [FromQuery] string? from,
        [FromQuery] string? to,
        InventoryStore inventory,
        StockHistory history,
        IOptions<ExportOptions> options,
        HttpContext http,
        CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId)
            .Id("warehouse_id", warehouseId, required: false)
            .OneOf<MoveKind>("kind", kind, out var parsedKind)
            .Time("from", from, out var since)
            .Time("to", to, out var until)
            .Check(since is null || until is null || since <= until, "from", "must not be after to.")
            .ThrowIfInvalid();

        // Refusals come before the first byte: once the CSV has started, the status is sent.
        var rows = await inventory.GetRowsAsync(productId, ct);
        if (rows.Count == 0)
        {
            throw Problems.ProductNotFound(productId);
        }

        if (warehouseId is not null && rows.All(r => r.WarehouseId != warehouseId))
        {
            throw Problems.WarehouseNotFound(productId, warehouseId);
        }

        var warehouses = warehouseId is not null ? [warehouseId] : rows.Select(r => r.WarehouseId).Order(StringComparer.Ordinal).ToList();
        var filter = new HistoryFilter(parsedKind, since, until);
        var pageSize = Math.Clamp(options.Value.PageSize, 1, 1000);
        return Csv(http, $"history-{productId}.csv", async (write, token) =>
        {
            await write(Domain.Csv.Line([.. HistoryColumns]));
            string? next = null;
            do
            {
                var page = await history.ListAsync(productId, warehouses, filter, pageSize, next, token);
                var text = new StringBuilder();
                foreach (var m in page.Entries)
                {
                    text.Append(Domain.Csv.Line(m.At, m.ProductId, m.WarehouseId, m.Sequence, m.Kind.ToString(), m.Quantity,
                        m.Before.Stock, m.Before.Reserved, m.Before.Available, m.Before.Threshold,
                        m.After.Stock, m.After.Reserved, m.After.Available, m.After.Threshold, m.By, m.Reason, m.Reference));
                }

                await write(text.ToString());
                next = page.NextToken;
            }
            while (next is not null);
        });
    }

    /// <summary>
    /// A streamed CSV download: each page is written and flushed as it is read. A failure after the first byte cannot
    /// become a problem answer any more; the connection is aborted, so the client sees a broken download, never a
    /// short file that looks complete.
    /// </summary>
    private static PushStreamHttpResult Csv(HttpContext http, string fileName, Func<Func<string, Task>, CancellationToken, Task> pages)
    {
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Stream(async body =>
        {
            var ct = http.RequestAborted;
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
            try
            {
                await pages(async text =>
                {
                    await writer.WriteAsync(text.AsMemory(), ct);
                    await writer.FlushAsync(ct);
                }, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExportsApi))
                    .LogError(e, "CSV export {Path} failed after it started; the connection is aborted", http.Request.Path.Value);
                http.Abort();
            }
        }, CsvType, fileName);
    }
}
