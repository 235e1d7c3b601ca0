using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Inventory.Api.Features.Inventory;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Inventory.Api.Projections;

namespace Inventory.Api.Features.Admin;

public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/invariants", CheckInvariants).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Report drift between stock rows and their reservations, and with history=true their stock history (one product, or all of them).")
            .ProducesProblem(400);
        app.MapPost("/admin/threshold-check", CheckThresholds).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Run the threshold check now: repair any stale status and emit the alerts it missed.");
        app.MapGet("/admin/alerts", ListAlerts).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Recent stock alerts (status transitions and runs-out-soon warnings), newest first, a page at a time; filtered by acknowledged, status, product_id and alert_type.")
            .ProducesProblem(400);
        app.MapPost("/admin/alerts/{alertId}/acknowledge", AcknowledgeAlert).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Record that this key's owner has seen the alert (its name and the time). Idempotent: the first acknowledgement stands.")
            .ProducesProblem(400)
            .ProducesProblem(404);
        app.MapGet("/admin/cover", ListCover).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Stock rows by days of cover, soonest to run out first (rows that sold nothing in 28 days are not listed); with product_id, that product's rows.")
            .WithDescription(
                "velocity_7d and velocity_28d are units sold per day over the last 7 and 28 UTC days (today included); days_of_cover is " +
                "available_count over the larger of the two, as evaluated after the row's latest change (computed_at). runs_out_soon: " +
                "days_of_cover is below the product's lead_time_days. limit 1-100 (default 50).")
            .ProducesProblem(400);
        return app;
    }

    public static async Task<Ok<PageView<CoverView>>> ListCover(
        [FromQuery, QueryLimit] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        [FromQuery(Name = "product_id"), QueryId(Description = "Only this product's rows.")] string? productId,
        CoverRecords cover, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .Id("product_id", productId, required: false)
            .ThrowIfInvalid();
        var page = await cover.ListAsync(productId, pageSize ?? 50, nextToken, ct);
        return TypedResults.Ok(new PageView<CoverView>(page.Rows, page.NextToken));
    }

    public static async Task<Ok<ThresholdCheckResult>> CheckThresholds(ThresholdCheck check, CancellationToken ct) =>
        TypedResults.Ok(await check.RunAsync(ct));

    public static async Task<Ok<PageView<StockAlert>>> ListAlerts(
        [FromQuery, QueryLimit] string? limit,
        [FromQuery(Name = "next_token"), QueryPageToken] string? nextToken,
        [FromQuery, QueryBoolean(Description = "Only acknowledged alerts (true) or only unacknowledged ones (false).")] string? acknowledged,
        [FromQuery, QueryEnum(typeof(StockStatus), Description = "Only alerts of transitions to this status.")] string? status,
        [FromQuery(Name = "product_id"), QueryId(Description = "Only this product's alerts.")] string? productId,
        [FromQuery(Name = "alert_type"), QueryEnum(typeof(AlertType), Description = "Only status changes (STATUS_CHANGE) or only runs-out-soon warnings (RUNS_OUT_SOON).")] string? alertType,
        AlertRecords alerts, IOptions<InventoryOptions> options, CancellationToken ct)
    {
        new Validator()
            .Paging(limit, nextToken, options.Value.MaxPageSize, out var pageSize)
            .Check(acknowledged is null or "true" or "false", "acknowledged", "must be true or false.")
            .OneOf<StockStatus>("status", status, out var parsedStatus)
            .Id("product_id", productId, required: false)
            .OneOf<AlertType>("alert_type", alertType, out var parsedType)
            .ThrowIfInvalid();
        var filter = new AlertFilter(acknowledged is null ? null : acknowledged == "true", parsedStatus, productId, parsedType);
        var page = await alerts.ListAsync(pageSize ?? 50, nextToken, filter, ct);
        return TypedResults.Ok(new PageView<StockAlert>(page.Alerts, page.NextToken));
    }

    public static async Task<Ok<StockAlert>> AcknowledgeAlert(
        string alertId, AlertRecords alerts, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        new Validator().Id("alertId", alertId).ThrowIfInvalid();
        var alert = await alerts.AcknowledgeAsync(alertId, http.User.ActorOf().Name, clock.GetUtcNow(), ct)
            ?? throw Problems.AlertNotFound(alertId);
        return TypedResults.Ok(alert);
    }

    public static async Task<Ok<InvariantReport>> CheckInvariants(
        [FromQuery(Name = "product_id"), QueryId(Description = "Check only this product; without it, every row.")] string? productId,
        [FromQuery, QueryBoolean(Description = "true to check each row's stock history too (it reads every kept entry).")] string? history,
        InvariantChecker checker, CancellationToken ct)
    {
        new Validator()
            .Id("product_id", productId, required: false)
            .Check(history is null or "true" or "false", "history", "must be true or false.")
            .ThrowIfInvalid();
        var withHistory = history == "true";
        var report = productId is null
            ? await checker.CheckAllAsync(ct, withHistory)
            : await checker.CheckAsync([productId], ct, includeHistory: withHistory);
        return TypedResults.Ok(report);
    }
}
