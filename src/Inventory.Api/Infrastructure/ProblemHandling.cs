using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Inventory.Api.Domain;
using Inventory.Api.Features.Inventory;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Infrastructure;

/// <summary>
/// Turns every failure into RFC 7807 problem JSON with a stable <c>code</c>: refusals keep their status,
/// unreadable requests are 400, an unreachable database is 503, and anything else a bare 500 that leaks
/// nothing.
/// </summary>
public sealed class ProblemHandling(IProblemDetailsService problems, ILogger<ProblemHandling> logger) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public const string TypeBase = "https://inventory.example/problems/";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var http = httpContext;
        var problem = exception switch
        {
            InventoryException e => FromRefusal(e),
            BadHttpRequestException e => Problem(e.StatusCode, "invalid_request", "The request could not be read.", Describe(e)),
            AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError } or HttpRequestException
                or AmazonClientException or TimeoutException =>
                Problem(503, "storage_unavailable", "The inventory database is not answering.", "Nothing was changed. Retry shortly."),
            _ => null,
        };

        if (problem is null)
        {
            logger.LogError(exception, "Unhandled failure on {Method} {Path}", http.Request.Method, http.Request.Path);
            problem = Problem(500, "internal_error", "Something went wrong on our side.", "The failure was logged.");
        }
        else if (problem.Status == 503)
        {
            logger.LogWarning(exception, "Storage unavailable on {Method} {Path}", http.Request.Method, http.Request.Path);
            http.Response.Headers.RetryAfter = "1";
        }

        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    public static ProblemDetails Problem(int status, string code, string title, string? detail)
    {
        var problem = new ProblemDetails { Status = status, Type = TypeBase + code, Title = title, Detail = detail };
        problem.Extensions["code"] = code;
        return problem;
    }

    private static ProblemDetails FromRefusal(InventoryException e)
    {
        var problem = Problem(StatusOf(e.Kind), e.Code, e.Title, e.Message);
        foreach (var (key, value) in e.Details)
        {
            problem.Extensions[key] = value is InventoryRow row ? InventoryRowView.From(row) : value;
        }

        return problem;
    }

    /// <summary>The one place a refusal's kind becomes an HTTP status.</summary>
    public static int StatusOf(RefusalKind kind) => kind switch
    {
        RefusalKind.Invalid => StatusCodes.Status400BadRequest,
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        RefusalKind.Conflict => StatusCodes.Status409Conflict,
        RefusalKind.StalePrecondition => StatusCodes.Status412PreconditionFailed,
        RefusalKind.PreconditionRequired => StatusCodes.Status428PreconditionRequired,
        RefusalKind.Busy => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// Problems the framework makes (an unknown route, a wrong method, a wrong content type) carry no code; every
    /// error body gets one, derived from its status.
    /// </summary>
    public static void EnsureCode(ProblemDetails problem)
    {
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var code = problem.Status switch
        {
            400 => "invalid_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            406 => "not_acceptable",
            413 => "request_too_large",
            415 => "unsupported_media_type",
            429 => "rate_limited",
            _ => problem.Status >= 500 ? "internal_error" : "request_refused",
        };
        problem.Extensions["code"] = code;
        problem.Type = TypeBase + code;
    }

    /// <summary>The JSON reader's own message names the field and the fault, which is what a client needs.</summary>
    private static string Describe(BadHttpRequestException e) =>
        e.InnerException is System.Text.Json.JsonException json ? json.Message : e.Message;
}

/// <summary>
/// Writes every problem as JSON whatever the client's Accept header says: the default writer declines when Accept
/// names only other types, which left refusals without a body (or, for a 404, turned them into a 500).
/// </summary>
public sealed class JsonProblemWriter(Microsoft.Extensions.Options.IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        // The service's customization (InventoryApp) sets the status, the code and the trace id.
        options.Value.CustomizeProblemDetails?.Invoke(context);
        await context.HttpContext.Response.WriteAsJsonAsync(context.ProblemDetails, AppJsonContext.Default.ProblemDetails, "application/problem+json");
    }
}
