using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inventory.Api.Features.Events;

public sealed record BatchItemFailure([property: JsonPropertyName("itemIdentifier")] string ItemIdentifier);

/// <summary>Lambda's partial batch response (its names, camelCase): the messages to leave on the queue; the others are deleted.</summary>
public sealed record SqsBatchResponse([property: JsonPropertyName("batchItemFailures")] IReadOnlyList<BatchItemFailure> BatchItemFailures);

public sealed record JobRun(string Job, int? ExpiredReservations, int? RowsScanned, int? StatusesRepaired);

/// <summary>
/// The entry point for non-HTTP work on Lambda: the Lambda Web Adapter posts each raw event here
/// (EventBridge schedules, SQS batches). Lambda reads the reply as the invocation's result, so it is always
/// application/json. Never listed in the public API, and refused for anything that came through API Gateway.
/// </summary>
public static class EventsApi
{
    public const string Path = "/events";
    public const string ExpirySweep = "expiry-sweep";
    public const string ThresholdCheck = "threshold-check";

    /// <summary>The Lambda Web Adapter adds this header to every request that came from API Gateway or a function URL.</summary>
    public const string RequestContextHeader = "x-amzn-request-context";

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).AllowAnonymous().DisableRateLimiting().ExcludeFromDescription();
        return app;
    }

    public static async Task<IResult> HandleAsync(
        HttpContext http, ReserveInventoryHandler orders, ReservationStore reservations, InventoryStore inventory,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (http.Request.Headers.ContainsKey(RequestContextHeader))
        {
            return Error(403, "events_not_public", "Not reachable from outside.",
                "/events takes events from the Lambda runtime only; it is not part of the public API.");
        }

        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Error(400, "invalid_event", "The event is not JSON.", e.Message);
        }

        var log = loggers.CreateLogger(typeof(EventsApi));
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
        {
            return TypedResults.Json(await HandleSqsBatchAsync(records, orders, log, ct), contentType: "application/json");
        }

        if (ScheduledJob(body) is not { } job)
        {
            return Error(400, "unknown_event", "Unknown event.",
                $"Expected an SQS batch or a scheduled event naming the job ('{ExpirySweep}' or '{ThresholdCheck}') in detail.job or in its rule's name.");
        }

        try
        {
            if (job == ExpirySweep)
            {
                return TypedResults.Json(new JobRun(job, await reservations.ExpireDueAsync(ct), null, null), contentType: "application/json");
            }

            var check = await inventory.CheckThresholdsAsync(ct);
            return TypedResults.Json(new JobRun(job, null, check.RowsScanned, check.StatusesRepaired), contentType: "application/json");
        }
        catch (Exception e) when (IsPassing(e))
        {
            log.LogWarning(e, "Scheduled {Job} failed; the next schedule runs it again", job);
            return Error(503, "storage_unavailable", "The job could not finish.", "The next scheduled run picks up where this one stopped.");
        }
    }

    private static async Task<SqsBatchResponse> HandleSqsBatchAsync(JsonElement records, ReserveInventoryHandler orders, ILogger log, CancellationToken ct)
    {
        var failures = new List<BatchItemFailure>();
        foreach (var record in records.EnumerateArray())
        {
            var messageId = record.ValueKind == JsonValueKind.Object && record.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()!
                : null;
            if (messageId is null)
            {
                // Without its id a record cannot be named for a retry; Lambda would delete it, so say so loudly.
                log.LogError("An SQS record without a messageId was skipped: {Record}", record.GetRawText());
                continue;
            }

            if (!record.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.String)
            {
                failures.Add(new BatchItemFailure(messageId));
                continue;
            }

            try
            {
                var result = await orders.HandleAsync(body.GetString()!, ct);
                if (result.Fate != MessageFate.Answered)
                {
                    failures.Add(new BatchItemFailure(messageId));
                }
            }
            catch (Exception e) when (IsPassing(e))
            {
                log.LogWarning(e, "Message {MessageId} left on the queue for a retry", messageId);
                failures.Add(new BatchItemFailure(messageId));
            }
        }

        return new SqsBatchResponse(failures);
    }

    /// <summary>
    /// The job a scheduled event asks for: detail.job (an EventBridge Scheduler payload or a rule's constant
    /// input), else the name of the rule that fired (…/inventory-expiry-sweep).
    /// </summary>
    private static string? ScheduledJob(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string[] jobs = [ExpirySweep, ThresholdCheck];
        if (body.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object
            && detail.TryGetProperty("job", out var job) && job.ValueKind == JsonValueKind.String)
        {
            return jobs.FirstOrDefault(j => j == job.GetString());
        }

        if (body.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array)
        {
            var names = resources.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!);
            return jobs.FirstOrDefault(j => names.Any(n => n.EndsWith(j, StringComparison.Ordinal)));
        }

        return null;
    }

    /// <summary>Failures a later attempt can get past: the database unreachable or too busy.</summary>
    private static bool IsPassing(Exception e) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or TimeoutException
        || (e is InventoryException refusal && refusal.Status == 503);

    private static JsonHttpResult<Microsoft.AspNetCore.Mvc.ProblemDetails> Error(int status, string code, string title, string detail) =>
        TypedResults.Json(ProblemHandling.Problem(status, code, title, detail), contentType: "application/json", statusCode: status);
}
