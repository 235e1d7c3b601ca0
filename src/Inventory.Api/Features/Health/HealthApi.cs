using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inventory.Api.Features.Health;

public sealed record HealthView(string Status, string Database);

public static class HealthApi
{
    /// <summary>The Lambda Web Adapter's readiness check and the load balancers' probe: no key, no rate limit.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check).WithTags("Health").AllowAnonymous().DisableRateLimiting()
            .WithSummary("200 when DynamoDB answers, 503 when it does not.");

        // The Lambda Web Adapter waits for its readiness check before the first event: that check must not wait on
        // DynamoDB, or a slow database would stall every cold start.
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthView("alive", "not checked"))).WithTags("Health").AllowAnonymous().DisableRateLimiting()
            .WithSummary("200 as soon as the process serves requests; does not call DynamoDB.");
        return app;
    }

    public static async Task<Results<Ok<HealthView>, ProblemHttpResult>> Check(InventoryStore store, ILogger<HealthView> logger, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await store.PingAsync(timeout.Token);
            return TypedResults.Ok(new HealthView("healthy", "reachable"));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Health check: DynamoDB did not answer");
            return TypedResults.Problem(ProblemHandling.Problem(503, "storage_unavailable", "The inventory database is not answering.", "DynamoDB did not answer within 2 seconds."));
        }
    }
}
