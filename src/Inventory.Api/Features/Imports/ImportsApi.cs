using Inventory.Api.Domain;
using Inventory.Api.Features.History;
using Inventory.Api.Infrastructure;
using Inventory.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Features.Imports;

/// <summary>
/// One line of the file, its cells as text exactly as in the file (the service says which cell is wrong and why), its
/// number in the file, and for an absolute line on apply the version its dry run saw. Only the number is required of
/// the request: a line with an empty id cell is answered as that line's error, like any other mistake in the file.
/// </summary>
public sealed record ImportLineRequest(
    int? Line, string? ProductId = null, string? WarehouseId = null, string? Stock = null, string? Adjust = null, string? Reason = null,
    string? Threshold = null, long? ExpectedVersion = null) : IRequestBody;

public sealed record ImportLinesRequest(List<ImportLineRequest?>? Lines) : IRequestBody;

public sealed record ImportErrorView(string Code, string Message);

/// <summary>
/// One line's outcome. <c>before</c> is the row as read; <c>after</c> what the line would make of it (dry run) or made of it
/// (applied, from the counts read just before the write). <c>version</c> is the row's version as read: an apply of an
/// absolute line sends it back as <c>expected_version</c>.
/// </summary>
public sealed record ImportLineView(
    int Line, string? ProductId, string? WarehouseId, ImportOutcome Outcome, CountsView? Before, CountsView? After, long? Version, ImportErrorView? Error);

public sealed record ImportSummaryView(int WouldSet, int WouldAdjust, int Applied, int Unchanged, int Errors);

public sealed record ImportLinesResponse(string ImportId, bool DryRun, IReadOnlyList<ImportLineView> Lines, ImportSummaryView Summary);

public static class ImportsApi
{
    public static IEndpointRouteBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/imports/{importId}/lines", Lines).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary($"Check (dry_run=true) or apply (dry_run=false) up to {StockImport.MaxLinesPerRequest} lines of a stock import: an absolute stock or a signed adjustment per row. Each line is applied once per import id.")
            .ProducesProblem(400);
        return app;
    }

    public static async Task<Ok<ImportLinesResponse>> Lines(
        string importId, ImportLinesRequest body, [FromQuery(Name = "dry_run"), QueryBoolean(Required = true, Description = "true to check the lines, false to apply them.")] string? dryRun,
        [FromQuery, QueryBoolean(Description = "true to apply an absolute line even if its row changed since the dry run, or without expected_version.")] string? overwrite,
        StockImporter importer, HttpContext http, CancellationToken ct)
    {
        var lines = body.Lines ?? [];
        var validator = new Validator()
            .Id("importId", importId)
            .Check(dryRun is "true" or "false", "dry_run", "is required: true to check the lines, false to apply them.")
            .Check(overwrite is null or "true" or "false", "overwrite", "must be true or false.")
            .Check(lines.Count is > 0 and <= StockImport.MaxLinesPerRequest, "lines", $"must hold 1 to {StockImport.MaxLinesPerRequest} lines; send a longer file in several requests.");
        var numbers = new HashSet<int>();
        for (var i = 0; i < lines.Count && i < StockImport.MaxLinesPerRequest; i++)
        {
            validator
                .Check(lines[i] is not null, $"lines[{i}]", "must be an object.")
                .Check(lines[i]?.Line is null or > 0, $"lines[{i}].line", "must be the line's number in the file, from 1.")
                .Check(lines[i] is null || lines[i]!.Line is not null, $"lines[{i}].line", "is required.")
                .Check(lines[i]?.Line is not { } n || numbers.Add(n), $"lines[{i}].line", "comes twice in this request.")
                .Range($"lines[{i}].expected_version", lines[i]?.ExpectedVersion, 1, long.MaxValue, required: false);
        }

        validator.ThrowIfInvalid();

        var isDryRun = dryRun == "true";
        var results = await importer.RunAsync(
            importId,
            lines.Select(l => (new ImportCells(l!.Line!.Value, l.ProductId, l.WarehouseId, l.Stock, l.Adjust, l.Reason, l.Threshold), l.ExpectedVersion)).ToList(),
            isDryRun, overwrite == "true", http.User.ActorOf(), ct);

        var views = results.Select(r => new ImportLineView(
            r.Line, r.ProductId, r.WarehouseId, r.Outcome,
            r.Before is { } b ? CountsView.From(b) : null, r.After is { } a ? CountsView.From(a) : null, r.Version,
            r.Error is { } e ? new ImportErrorView(e.Code, e.Message) : null)).ToList();
        var summary = new ImportSummaryView(
            views.Count(v => v.Outcome == ImportOutcome.WOULD_SET),
            views.Count(v => v.Outcome == ImportOutcome.WOULD_ADJUST),
            views.Count(v => v.Outcome == ImportOutcome.APPLIED),
            views.Count(v => v.Outcome == ImportOutcome.UNCHANGED),
            views.Count(v => v.Outcome == ImportOutcome.ERROR));
        return TypedResults.Ok(new ImportLinesResponse(importId, isDryRun, views, summary));
    }
}
