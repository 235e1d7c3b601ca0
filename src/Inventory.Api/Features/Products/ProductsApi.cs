using Inventory.Api.Infrastructure;
using Inventory.Api.Domain;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Inventory.Api.Projections;

namespace Inventory.Api.Features.Products;

public sealed record CreateProductRequest(
    string? Sku, string? Name, decimal? Price, string? Description = null, string? ImageUrl = null, string? Category = null, long? ThresholdLevel = null,
    long? LeadTimeDays = null)
    : IRequestBody;

/// <summary>A product's lead time in days (0 clears it).</summary>
public sealed record SetLeadTimeRequest(long? LeadTimeDays) : IRequestBody;

/// <summary>
/// A product with its stock, as the order service's "get product" combines them; <c>quantity</c> is what can be bought in
/// one order: the lead warehouse's available units (<see cref="InventoryView"/>), not a sum no single hold could take.
/// </summary>
public sealed record ProductView(
    string Sku, string Name, string? Description, decimal Price, string? ImageUrl, string? Category,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long? Quantity, InventoryView? Inventory, int? LeadTimeDays)
{
    public static ProductView From(Product p, IReadOnlyList<InventoryRow>? rows) => new(
        p.Sku, p.Name, p.Description, p.Price, p.ImageUrl, p.Category, p.CreatedAt, p.UpdatedAt,
        rows is { Count: > 0 } ? WarehouseChoice.Lead(rows).AvailableCount : rows is null ? null : 0,
        rows is { Count: > 0 } ? InventoryView.From(p.Sku, rows) : null,
        p.LeadTimeDays);
}

public static class ProductsApi
{
    public static IEndpointRouteBuilder MapProductsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/products").WithTags("Products");
        group.MapPost("/", Create).RequireAuthorization(Policies.Admin)
            .WithSummary("Create a product and its zero-stock row. Posting the same product again is a no-op.")
            .ProducesProblem(400).ProducesProblem(409);
        group.MapPut("/{sku}/lead-time", SetLeadTime).RequireAuthorization(Policies.Admin)
            .WithSummary("Set the days a restock of this product takes (0 clears it): a warehouse row whose days of cover fall below it gets one \"runs out soon\" alert.")
            .ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/{sku}", Get).RequireAuthorization(Policies.Read)
            .WithSummary("A product with its stock.")
            .ProducesProblem(404);
        group.MapGet("/", List).RequireAuthorization(Policies.Read)
            .WithSummary("Products, a page at a time; with q, the products whose name or sku has a word starting with each word of q.")
            .WithDescription(
                "q: 1-5 words, at most 200 characters, at least one word of 2 or more letters or digits; case and accents do not " +
                "matter ('cafe' finds 'Café Crème Mug', 'CRÈ' too); every word must start a word of the name or of the sku (AND). " +
                "Results are ordered by the word they matched, then sku; quantity and inventory are null (GET /products/{sku} has them). " +
                "limit 1-100 (default 50, 20 with q). A search page may be shorter than limit, even empty, with a next_token: keep " +
                "paging until next_token is null.")
            .ProducesProblem(400);
        return app;
    }

    public static async Task<Results<Created<ProductView>, Ok<ProductView>>> Create(
        CreateProductRequest body, ProductStore store, IOptions<InventoryOptions> options, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        new Validator()
            .Id("sku", body.Sku)
            .Text("name", body.Name, 200)
            .Text("description", body.Description, 2000, required: false)
            .Price("price", body.Price)
            .Url("image_url", body.ImageUrl)
            .Id("category", body.Category, required: false)
            .Range("threshold_level", body.ThresholdLevel, 0, Validator.MaxCount, required: false)
            .Range("lead_time_days", body.LeadTimeDays, 0, StockCover.MaxLeadTimeDays, required: false)
            .ThrowIfInvalid();

        var now = clock.UtcNowMillis();
        var product = new Product(
            body.Sku!, body.Name!.Trim(), body.Description, body.Price!.Value, body.ImageUrl, body.Category, now, now,
            body.LeadTimeDays is > 0 ? (int)body.LeadTimeDays : null);
        var (stored, row, created) = await store.CreateAsync(
            product, options.Value.DefaultWarehouseId, body.ThresholdLevel ?? options.Value.DefaultThresholdLevel, http.User.ActorOf(), ct);
        var view = ProductView.From(stored, [row]);
        return created ? TypedResults.Created($"/products/{Uri.EscapeDataString(stored.Sku)}", view) : TypedResults.Ok(view);
    }

    public static async Task<Ok<ProductView>> Get(string sku, ProductStore products, InventoryStore inventory, CancellationToken ct)
    {
        new Validator().Id("sku", sku).ThrowIfInvalid();
        var product = await products.GetAsync(sku, ct) ?? throw Problems.ProductNotFound(sku);
        return TypedResults.Ok(ProductView.From(product, await inventory.GetRowsAsync(sku, ct)));
    }

    /// <summary>
    /// Sets the lead time and evaluates the product's rows against it at once, so a lead time raised above a row's cover
    /// alerts now rather than at the row's next sale.
    /// </summary>
    public static async Task<Ok<ProductView>> SetLeadTime(
        string sku, SetLeadTimeRequest body, ProductStore products, InventoryStore inventory, CoverProjection cover, TimeProvider clock, CancellationToken ct)
    {
        new Validator()
            .Id("sku", sku)
            .Range("lead_time_days", body.LeadTimeDays, 0, StockCover.MaxLeadTimeDays)
            .ThrowIfInvalid();
        var product = await products.SetLeadTimeAsync(sku, (int)body.LeadTimeDays!.Value, clock.UtcNowMillis(), ct)
            ?? throw Problems.ProductNotFound(sku);
        var rows = await inventory.GetRowsAsync(sku, ct);
        await cover.RefreshProductAsync(sku, rows, ct);
        return TypedResults.Ok(ProductView.From(product, rows));
    }

    /// <summary>A search answers a person typing: a short first page comes back sooner and costs fewer reads.</summary>
    public const int DefaultSearchPageSize = 20;

    public static async Task<Ok<PageView<ProductView>>> List(
        [FromQuery, QueryLimit] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        [FromQuery, QuerySearch(SearchQuery.MaxQueryLength, Description = "Words that start words of the product's name or sku, all of them; without it, every product.")] string? q,
        ProductStore products, ProductSearchIndex search, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .Search("q", q, out var query)
            .ThrowIfInvalid();
        var page = query is null
            ? await products.ListAsync(pageSize ?? 50, nextToken, ct)
            : await search.SearchAsync(query, pageSize ?? DefaultSearchPageSize, nextToken, ct);
        return TypedResults.Ok(new PageView<ProductView>(page.Products.Select(p => ProductView.From(p, null)).ToList(), page.NextToken));
    }
}
