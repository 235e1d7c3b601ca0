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
            BadHttpRequestException e => Problem(e.StatusCode, e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "request_too_large",
                StatusCodes.Status415UnsupportedMediaType => "unsupported_media_type",
                _ => "invalid_request",
            }, "The request could not be read.", Describe(e)),
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
            // A busy database is a refusal the service made on purpose (the write path already logged why): one line,
            // not a stack trace per throttled shopper. An unreachable one keeps the exception.
            if (exception is InventoryException)
            {
                logger.LogWarning("Storage busy on {Method} {Path}: {Code}", http.Request.Method, http.Request.Path, problem.Extensions["code"]);
            }
            else
            {
                logger.LogWarning(exception, "Storage unavailable on {Method} {Path}", http.Request.Method, http.Request.Path);
            }

            http.Response.Headers.RetryAfter = "1";
        }

        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    public static ProblemDetails Problem(int status, string code, string title, string detail)
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
    /// Problems the framework makes (an unknown route, a wrong method, a wrong content type) carry no
    /// code, title or detail of their own; every error body gets all three, in plain words, derived from its status.
    /// </summary>
    public static void EnsureCode(ProblemDetails problem)
    {
        if (problem.Extensions.ContainsKey("code"))
        {
            return;
        }

        var (code, title, detail) = problem.Status switch
        {
            400 => ("invalid_request", "The request could not be read.", "Check the body, the parameters and the headers against the API reference."),
            404 => ("not_found", "Not found.", "There is no such resource or route; check the path against the API reference."),
            405 => ("method_not_allowed", "Method not allowed.", "This path does not accept this HTTP method; the Allow header lists the ones it does."),
            406 => ("not_acceptable", "Not acceptable.", "The service answers in JSON; accept application/json."),
            413 => ("request_too_large", "The request is too large.", "The body is larger than the service reads; send less per request."),
            415 => ("unsupported_media_type", "Unsupported content type.", "Send the body as JSON, with Content-Type: application/json."),
            >= 500 => ("internal_error", "Something went wrong on our side.", "Nothing is known to have changed; retry, and quote the trace_id if it persists."),
            _ => ("request_refused", "The request was refused.", "See the status code."),
        };
        problem.Extensions["code"] = code;
        problem.Type = TypeBase + code;
        problem.Title ??= title;
        problem.Detail ??= detail;
    }

    /// <summary>
    /// What was wrong with a request the framework could not read, in the client's terms: the JSON field and the
    /// position, never the framework's own message (it names .NET types and parameters).
    /// </summary>
    private static string Describe(BadHttpRequestException e) => e.InnerException switch
    {
        System.Text.Json.JsonException { Path: { Length: > 2 } path } =>
            $"The field '{path.TrimStart('$', '.')}' has a value of the wrong type or format; see the API reference for the field's type.",
        System.Text.Json.JsonException json =>
            $"The body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).",
        _ when e.StatusCode == StatusCodes.Status413PayloadTooLarge => "The body is larger than the service reads; send less per request.",
        _ when e.StatusCode == StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON, with Content-Type: application/json.",
        _ => "The body or a parameter could not be read: send a JSON object as the body, and parameters in the format the API reference gives.",
    };
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
