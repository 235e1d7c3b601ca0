using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Inventory.Api.Domain;
using Inventory.Api.Infrastructure;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Inventory.Api.Projections;
using Inventory.Api.Features.Reservations;

namespace Inventory.Api.Features.Events;

public sealed record BatchItemFailure([property: JsonPropertyName("itemIdentifier")] string ItemIdentifier);

/// <summary>
/// Lambda's partial batch response (its names, camelCase). For an SQS batch: the messages to leave on the queue (the
/// others are deleted). For a DynamoDB stream batch: the sequence number of the first record not handled (Lambda
/// resumes from it).
/// </summary>
public sealed record SqsBatchResponse([property: JsonPropertyName("batchItemFailures")] IReadOnlyList<BatchItemFailure> BatchItemFailures);

public sealed record JobRun(string Job, int? ExpiredReservations, int? RowsScanned, int? StatusesRepaired);

/// <summary>
/// Whether this process runs behind the Lambda Web Adapter, decided once from its environment: Lambda sets
/// AWS_LAMBDA_FUNCTION_NAME in every function, and the adapter takes its settings from AWS_LWA_* variables
/// (deploy/functions.json). Only there is the sender of an unauthenticated event the adapter; the adapter's request
/// headers alone prove nothing, since anyone who reaches the port can send them.
/// </summary>
public sealed class WebAdapterEnvironment(IConfiguration configuration)
{
    public bool IsPresent { get; } =
        !string.IsNullOrEmpty(configuration["AWS_LAMBDA_FUNCTION_NAME"])
        || configuration.AsEnumerable().Any(setting => setting.Key.StartsWith("AWS_LWA_", StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The entry point for non-HTTP work on Lambda: the Lambda Web Adapter posts each raw event here
/// (EventBridge schedules, SQS batches, the inventory table's change-stream batches, the outbox pipes' enrichment
/// batches, authorizer calls). Lambda reads the reply as the invocation's result, so it is always
/// application/json. Never listed in the public API, refused for anything that came through API Gateway or from a
/// browser, and, unless the adapter sent it, for any caller without an admin key.
/// </summary>
public static class EventsApi
{
    public const string Path = "/events";
    public const string ExpirySweep = "expiry-sweep";
    public const string ThresholdCheck = "threshold-check";

    /// <summary>The Lambda Web Adapter adds this header to every request that came from API Gateway or a function URL.</summary>
    public const string RequestContextHeader = "x-amzn-request-context";

    /// <summary>The Lambda Web Adapter adds the invocation's context in this header to every request it forwards, events included.</summary>
    public const string LambdaContextHeader = "x-amzn-lambda-context";

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        // An event is as large as Lambda allows an invocation's payload to be (6 MB), far above the API's limit.
        app.MapPost(Path, HandleAsync).AllowAnonymous().DisableRateLimiting().ExcludeFromDescription()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(6 * 1024 * 1024));
        return app;
    }

    public static async Task<IResult> HandleAsync(
        HttpContext http, ReserveInventoryHandler orders, HoldExpiry expiry, ThresholdCheck thresholds, ChangeStream changes,
        ApiKeyAuthorizer authorizer, WebAdapterEnvironment adapter, IAuthorizationService authorization, IOptions<StorageOptions> storage,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (CameThroughApiGateway(http.Request))
        {
            return Refusal(403, "events_not_public", "Not reachable from outside.",
                "/events takes events from the Lambda runtime only; it is not part of the public API.");
        }

        // A web page can post text/plain (or a form) to any site without asking first, and its browser always says
        // where it came from; the adapter sends neither an Origin nor anything but JSON.
        if (http.Request.Headers.ContainsKey(HeaderNames.Origin))
        {
            return Refusal(403, "events_not_public", "Not reachable from a browser.",
                "/events takes events from the Lambda runtime only; a request with an Origin header comes from a web page.");
        }

        if (!IsJson(http.Request.ContentType))
        {
            return Refusal(415, "unsupported_media_type", "Events are JSON.",
                "Send the event as application/json, as the Lambda Web Adapter does.");
        }

        // Locally (or if the adapter's header is missing) this would let anyone with network access post forged orders,
        // run jobs or test keys against the authorizer: only an admin may stand in for the Lambda runtime.
        if (!(adapter.IsPresent && http.Request.Headers.ContainsKey(LambdaContextHeader))
            && !(await authorization.AuthorizeAsync(http.User, Policies.Admin)).Succeeded)
        {
            return http.User.Identity?.IsAuthenticated == true
                ? Refusal(403, "forbidden", "This key may not do that.", "Outside the Lambda Web Adapter, /events needs a key with the Admin scope.")
                : Refusal(401, "unauthorized", "A valid API key is required.",
                    $"Outside the Lambda Web Adapter, /events needs a key with the Admin scope in the '{ApiKeyAuthentication.HeaderName}' header.");
        }

        var log = loggers.CreateLogger(typeof(EventsApi));
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, ct);
            if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            {
                return Refusal(400, "invalid_event", "The event is not JSON.", "The body is not valid UTF-8.");
            }

            JsonElement body;
            try
            {
                using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
                body = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                return Refusal(400, "invalid_event", "The event is not JSON.", e.Message);
            }

            if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
            {
                if (records.EnumerateArray().Any(IsStreamRecord))
                {
                    return Answer(await HandleStreamBatchAsync(records, changes, log, ct), AppJsonContext.Default.SqsBatchResponse);
                }

                return Answer(await HandleSqsBatchAsync(records, orders, log, ct), AppJsonContext.Default.SqsBatchResponse);
            }

            if (OutboxEnrichment.IsPipeBatch(body))
            {
                var (messages, fault) = OutboxEnrichment.MessagesOf(body, storage.Value);
                if (messages is null)
                {
                    log.LogError("An outbox pipe's batch was refused: {Fault}", fault);
                    return Refusal(400, "invalid_event", "The pipe's records give no message.", fault!);
                }

                return TypedResults.Bytes(messages, "application/json");
            }

            if (ApiKeyAuthorizer.IsTokenEvent(body))
            {
                return Answer(await authorizer.DecideAsync(body, ct), AppJsonContext.Default.AuthorizerResponse);
            }

            if (ScheduledJob(body) is not { } job)
            {
                return Refusal(400, "unknown_event", "Unknown event.",
                    $"Expected an SQS batch, a DynamoDB stream batch, an outbox pipe's batch of stream records, an API Gateway TOKEN authorizer event, or a scheduled event naming the job ('{ExpirySweep}' or '{ThresholdCheck}') in detail.job or in its rule's name.");
            }

            return await RunJobAsync(job, expiry, thresholds, log, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Whatever it was, the answer must still be a batch response, or Lambda would delete an SQS batch unprocessed.
            log.LogError(e, "An event could not be handled; if it was an SQS batch, every message stays on the queue");
            return Refusal(500, "internal_error", "The event could not be handled.", "The failure was logged.");
        }
    }

    /// <summary>
    /// The Lambda Web Adapter sets <c>x-amzn-request-context</c> on every request it forwards, overwriting any
    /// value a client sent: API Gateway's request context for an HTTP request, the JSON literal <c>null</c> for an
    /// event it passes through. Only a real context means the request came from outside.
    /// </summary>
    public static bool CameThroughApiGateway(HttpRequest request) =>
        request.Headers.TryGetValue(RequestContextHeader, out var values)
        && values.Any(v => !string.Equals(v?.Trim(), "null", StringComparison.Ordinal));

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static async Task<IResult> RunJobAsync(string job, HoldExpiry expiry, ThresholdCheck thresholds, ILogger log, CancellationToken ct)
    {
        try
        {
            if (job == ExpirySweep)
            {
                return Answer(new JobRun(job, await expiry.ExpireDueAsync(ct), null, null), AppJsonContext.Default.JobRun);
            }

            var check = await thresholds.RunAsync(ct);
            return Answer(new JobRun(job, null, check.RowsScanned, check.StatusesRepaired), AppJsonContext.Default.JobRun);
        }
        catch (Exception e) when (IsPassing(e))
        {
            log.LogWarning(e, "Scheduled {Job} failed; the next schedule runs it again", job);
            return Refusal(503, "storage_unavailable", "The job could not finish.", "The next scheduled run picks up where this one stopped.");
        }
    }

    private static async Task<SqsBatchResponse> HandleSqsBatchAsync(JsonElement records, ReserveInventoryHandler orders, ILogger log, CancellationToken ct)
    {
        var failures = new List<BatchItemFailure>();
        foreach (var record in records.EnumerateArray())
        {
            if (MessageId(record) is not { } messageId)
            {
                // A record that cannot be named cannot be retried alone; an empty identifier makes Lambda retry the
                // whole batch instead of deleting it (the queue's redrive policy ends the loop).
                log.LogError("An SQS record without a readable messageId: the whole batch stays on the queue");
                failures.Add(WholeBatch);
                continue;
            }

            try
            {
                var result = record.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.String
                    ? await orders.HandleAsync(body.GetString()!, ct)
                    : null;
                if (result?.Fate != MessageFate.Answered)
                {
                    failures.Add(new BatchItemFailure(messageId));
                }
            }
            catch (Exception e) when (IsPassing(e))
            {
                log.LogWarning(e, "Message {MessageId} left on the queue for a retry", messageId);
                failures.Add(new BatchItemFailure(messageId));
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                log.LogError(e, "Message {MessageId} could not be handled; it stays on the queue", messageId);
                failures.Add(new BatchItemFailure(messageId));
            }
        }

        return new SqsBatchResponse(failures);
    }

    private static bool IsStreamRecord(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object && record.TryGetProperty("eventSource", out var source)
        && source.ValueKind == JsonValueKind.String && source.ValueEquals("aws:dynamodb");

    /// <summary>
    /// The inventory table's change records, in stream order: the stock history, the stored status and the alerts follow
    /// from them (<see cref="ChangeStream"/>). On a failure the answer names the first record not handled; Lambda retries
    /// from it (and, with bisect on error, splits the batch), so the records before it are never handled twice.
    /// </summary>
    private static async Task<SqsBatchResponse> HandleStreamBatchAsync(JsonElement records, ChangeStream changes, ILogger log, CancellationToken ct)
    {
        var batch = new List<ChangeRecord>();
        foreach (var record in records.EnumerateArray())
        {
            var source = record.TryGetProperty("eventSourceARN", out var arn) && arn.ValueKind == JsonValueKind.String ? arn.GetString() : null;
            if (!changes.IsStockTableStream(source))
            {
                // Retrying cannot make them ours; answering them handled keeps the mapping from stalling on them.
                log.LogError("A stream record from {EventSource}, not the stock table's stream, was ignored: check the event source mapping", source);
                continue;
            }

            if (ChangeRecords.Parse(record) is not { } change)
            {
                // Without a sequence number Lambda cannot resume from it: retry the batch (the mapping's retry limit ends the loop).
                log.LogError("A stream record without a readable sequence number: the whole batch is retried");
                return new SqsBatchResponse([WholeBatch]);
            }

            batch.Add(change);
        }

        var (handled, failure) = await changes.HandleAsync(batch, ct);
        if (failure is null)
        {
            return new SqsBatchResponse([]);
        }

        log.LogWarning(failure, "Change record {SequenceNumber} not handled; Lambda retries from it", batch[handled].SequenceNumber);
        return new SqsBatchResponse([new BatchItemFailure(batch[handled].SequenceNumber)]);
    }

    private static string? MessageId(JsonElement record)
    {
        try
        {
            return record.ValueKind == JsonValueKind.Object && record.TryGetProperty("messageId", out var id)
                && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } text
                ? text
                : null;
        }
        catch (InvalidOperationException)
        {
            return null; // a string that is not valid UTF-8
        }
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
            // ValueEquals compares without decoding, so an escaped lone surrogate cannot throw here.
            return jobs.FirstOrDefault(j => job.ValueEquals(j));
        }

        if (body.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array)
        {
            var names = resources.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetRawText());
            return jobs.FirstOrDefault(j => names.Any(n => n.EndsWith(j + "\"", StringComparison.Ordinal)));
        }

        return null;
    }

    /// <summary>Failures a later attempt can get past: the database unreachable or too busy.</summary>
    private static bool IsPassing(Exception e) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or TimeoutException
        || (e is InventoryException { Kind: RefusalKind.Busy });

    /// <summary>In a batch response, an empty identifier means "retry every message of the batch".</summary>
    private static readonly BatchItemFailure WholeBatch = new(string.Empty);

    private static JsonHttpResult<T> Answer<T>(T body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        TypedResults.Json(body, type, contentType: "application/json");

    /// <summary>
    /// A refusal as problem JSON that is also a batch response naming the whole batch: Lambda sees only the body of
    /// a passed-through event, so whatever the event was, an SQS batch it might have been is retried, never deleted.
    /// </summary>
    private static JsonHttpResult<Microsoft.AspNetCore.Mvc.ProblemDetails> Refusal(int status, string code, string title, string detail)
    {
        var problem = ProblemHandling.Problem(status, code, title, detail);
        problem.Extensions["batchItemFailures"] = new[] { WholeBatch };
        return TypedResults.Json(problem, AppJsonContext.Default.ProblemDetails, contentType: "application/json", statusCode: status);
    }
}
