using Inventory.Api.Domain;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Features.Admin;

public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/invariants", CheckInvariants).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Report drift between stock rows and their reservations (one product, or all of them).")
            .ProducesProblem(400);
        return app;
    }

    public static async Task<Ok<InvariantReport>> CheckInvariants(
        [FromQuery(Name = "product_id")] string? productId, InvariantChecker checker, CancellationToken ct)
    {
        new Validator().Id("product_id", productId, required: false).ThrowIfInvalid();
        var report = productId is null ? await checker.CheckAllAsync(ct) : await checker.CheckAsync([productId], ct);
        return TypedResults.Ok(report);
    }
}
