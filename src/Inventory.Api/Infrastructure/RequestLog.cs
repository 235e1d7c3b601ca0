using System.Diagnostics;
using System.Text.Json;
using Inventory.Api.Security;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Infrastructure;

/// <summary>
/// One log event per request: request id, route, key name, status, latency, and for writes the product and the
/// outcome code. With JSON logs (on Lambda) each is one object CloudWatch Logs Insights can query by field.
/// Never the key itself and never a body (bodies can carry customer ids).
/// </summary>
public static class RequestLog
{
    private const string OutcomeItem = "inventory.outcome";

    /// <summary>The API Gateway request id (or Lambda's) when behind the Web Adapter, else the server's trace id.</summary>
    public static string RequestId(HttpContext http) =>
        IdFromHeader(http, "x-amzn-request-context", "requestId")
        ?? IdFromHeader(http, "x-amzn-lambda-context", "request_id")
        ?? http.TraceIdentifier;

    /// <summary>Called for every problem the service writes, so the log line carries its stable code.</summary>
    public static void RecordProblem(HttpContext http, ProblemDetails problem)
    {
        if (problem.Extensions.TryGetValue("code", out var code) && code is string text)
        {
            http.Items[OutcomeItem] = text;
        }
    }

    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Inventory.Requests");
        return app.Use(async (http, next) =>
        {
            // Read before the request runs: the exception handler clears the endpoint and route values of a refusal.
            var started = Stopwatch.GetTimestamp();
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(none)";
            var product = http.Request.RouteValues.TryGetValue("productId", out var id) || http.Request.RouteValues.TryGetValue("sku", out id)
                ? id as string
                : null;
            try
            {
                await next(http);
            }
            finally
            {
                var isWrite = !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method);
                var status = http.Response.StatusCode;
                var outcome = http.Items.TryGetValue(OutcomeItem, out var code) ? code as string : status < 400 ? "ok" : null;
                logger.LogInformation(
                    "{Method} {Route} {Status} in {LatencyMs} ms; request {RequestId}, key {KeyName}, product {ProductId}, outcome {Outcome}",
                    http.Request.Method, route, status, Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
                    RequestId(http), http.User.Identity?.Name, isWrite ? product : null, isWrite ? outcome : null);
            }
        });
    }

    private static string? IdFromHeader(HttpContext http, string header, string property)
    {
        if (http.Request.Headers[header].ToString() is not { Length: > 2 } json || json[0] != '{')
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
