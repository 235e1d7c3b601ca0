using System.Text;
using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
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
            .WithSummary("Every stock row as CSV (or those of a category or a status), streamed; the columns re-import as they are. With limit, one part of at most limit lines and X-Next-Token for the next.")
            .Produces<string>(200, contentType: "text/csv")
            .ProducesProblem(400);
        app.MapGet("/admin/exports/history/{productId}", History).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("A product's stock history as CSV, newest first, streamed; filtered like GET /inventory/{productId}/history. With limit, one part of at most limit lines and X-Next-Token for the next.")
            .Produces<string>(200, contentType: "text/csv")
            .ProducesProblem(400).ProducesProblem(404);
        return app;
    }

    /// <summary>The most lines one bounded export (<c>limit</c>) may ask for: it holds them until it knows where the next one resumes.</summary>
    public const int MaxLimit = 20_000;

    public static async Task<PushStreamHttpResult> Stock(
        [FromQuery, QueryId(Description = "Only rows of this category (not with status).")] string? category,
        [FromQuery, QueryEnum(typeof(StockStatus), Description = "Only rows of this status (not with category).")] string? status,
        [FromQuery, QueryLimit(MaxLimit, Description = "At most this many lines in this part; without it, every line in one answer.")] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        InventoryStore store, IOptions<ExportOptions> options, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        new Validator()
            .Id("category", category, required: false)
            .OneOf<StockStatus>("status", status, out var parsedStatus)
            .Check(category is null || status is null, "status", "filter by category or by status, not both.")
            .Paging(limit, nextToken, MaxLimit, out var parsedLimit)
            .ThrowIfInvalid();

        return await CsvAsync(http, $"stock-{clock.GetUtcNow():yyyyMMdd-HHmmss}.csv", Domain.Csv.Line([.. StockColumns]), options.Value.PageSize, parsedLimit, nextToken,
            async (token, size, cancel) =>
            {
                var page = await store.ListAsync(category, parsedStatus, size, token, cancel);
                return (page.Rows.Select(r => Domain.Csv.Line(r.ProductId, r.WarehouseId, r.StockCount, null, null, r.ThresholdLevel,
                    r.ReservedCount, r.AvailableCount, r.Status.ToString(), r.Category, r.Version, r.LastUpdated)).ToList(), page.NextToken);
            }, ct);
    }

    public static async Task<PushStreamHttpResult> History(
        string productId,
        [FromQuery(Name = "warehouse_id"), QueryId(Description = "Only this warehouse's entries.")] string? warehouseId,
        [FromQuery, QueryEnum(typeof(MoveKind), Description = "Only changes of this kind.")] string? kind,
        [FromQuery, QueryTime(Description = "Only changes at or after this time, with its offset, such as 2026-11-29T10:00:00Z.")] string? from,
        [FromQuery, QueryTime(Description = "Only changes at or before this time, with its offset, such as 2026-11-29T10:00:00Z.")] string? to,
        [FromQuery, QueryLimit(MaxLimit, Description = "At most this many lines in this part; without it, every line in one answer.")] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        InventoryStore inventory,
        HistoryRecords history,
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
            .Paging(limit, nextToken, MaxLimit, out var parsedLimit)
            .ThrowIfInvalid();

        // Refusals come before the first byte: once the CSV has started, the status is sent.
        var sources = await Features.History.HistoryApi.SourcesAsync(productId, warehouseId, inventory, ct);
        var filter = new HistoryFilter(parsedKind, since, until);
        return await CsvAsync(http, $"history-{productId}.csv", Domain.Csv.Line([.. HistoryColumns]), options.Value.PageSize, parsedLimit, nextToken,
            async (token, size, cancel) =>
            {
                var page = await history.ListAsync(productId, sources, filter, size, token, cancel);
                return (page.Entries.Select(m => Domain.Csv.Line(m.At, Domain.SubRows.ProductOf(m.ProductId), m.WarehouseId, m.Sequence, m.Kind.ToString(), m.Quantity,
                    m.Before.Stock, m.Before.Reserved, m.Before.Available, m.Before.Threshold,
                    m.After.Stock, m.After.Reserved, m.After.Available, m.After.Threshold, m.By, m.Reason, m.Reference)).ToList(), page.NextToken);
            }, ct);
    }

    /// <summary>
    /// Without a <paramref name="limit"/> the whole listing, page after page, each written as it is read. With one (for
    /// a client behind API Gateway, which buffers a Lambda's answer up to 6 MB), up to that many lines and
    /// <c>X-Next-Token</c> naming where the next part resumes: they are read before the answer starts, since a header
    /// cannot follow the body, so memory is bounded by <see cref="MaxLimit"/> lines.
    /// </summary>
    private static async Task<PushStreamHttpResult> CsvAsync(
        HttpContext http, string fileName, string header, int pageSize, int? limit, string? startToken,
        Func<string?, int, CancellationToken, Task<(List<string> Lines, string? Next)>> page, CancellationToken ct)
    {
        pageSize = Math.Clamp(pageSize, 1, 1000);
        if (limit is { } most)
        {
            var lines = new List<string>();
            var token = startToken;
            do
            {
                var (read, next) = await page(token, Math.Min(pageSize, most - lines.Count), ct);
                lines.AddRange(read);
                token = next;
            }
            while (token is not null && lines.Count < most);

            if (token is not null)
            {
                http.Response.Headers[NextTokenHeader] = token;
            }

            return Csv(http, fileName, async (write, _) => await write(header + string.Concat(lines)));
        }

        return Csv(http, fileName, async (write, cancel) =>
        {
            await write(header);
            var token = startToken;
            do
            {
                var (read, next) = await page(token, pageSize, cancel);
                await write(string.Concat(read));
                token = next;
            }
            while (token is not null);
        });
    }

    /// <summary>Where a bounded export's next part resumes (pass it as <c>next_token</c>); absent on the last part.</summary>
    public const string NextTokenHeader = "X-Next-Token";

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
