using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Inventory.Api.Domain;

namespace Inventory.Api.Features.Alerts;

public static class AlertStreamApi
{
    /// <summary>A comment-like event every so often keeps proxies from closing a quiet stream.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapAlertStreamApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/alerts/stream", Stream).WithTags("Admin").RequireAuthorization(Policies.Admin)
            .WithSummary("Low-stock alerts as they happen (server-sent events, event 'stock-alert'). Send Last-Event-ID to resume.")
            .Produces<string>(200, contentType: "text/event-stream");
        return app;
    }

    public static ServerSentEventsResult<string> Stream(
        HttpContext http, AlertFeed feed, AlertRecords alerts, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.ServerSentEvents(Events(feed, alerts, lastEventId, lifetime.ApplicationStopping, ct));
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(
        AlertFeed feed, AlertRecords alerts, string lastEventId, CancellationToken stopping, [EnumeratorCancellation] CancellationToken ct)
    {
        // An open stream must not hold up shutdown.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, stopping);
        var token = linked.Token;
        using var subscription = feed.Subscribe();
        var sent = new HashSet<string>(StringComparer.Ordinal);

        yield return new SseItem<string>("{}", "ready");
        if (ParseEventId(lastEventId) is { } resume)
        {
            // Reconnecting after a drop: first what was written since the last event the client saw.
            foreach (var alert in await new AlertTail(alerts, resume.At, resume.AlertId).NextAsync(token))
            {
                sent.Add(alert.AlertId);
                yield return ToEvent(alert);
            }
        }

        while (!token.IsCancellationRequested)
        {
            StockAlert? next;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                wait.CancelAfter(Heartbeat);
                next = await ReadOrTimeoutAsync(subscription, wait.Token);
            }

            if (token.IsCancellationRequested)
            {
                yield break;
            }

            if (next is null)
            {
                yield return new SseItem<string>("{}", "heartbeat");
            }
            else if (sent.Add(next.AlertId))
            {
                yield return ToEvent(next);
            }
        }
    }

    private static async Task<StockAlert?> ReadOrTimeoutAsync(AlertFeed.Subscription subscription, CancellationToken ct)
    {
        try
        {
            return await subscription.Alerts.ReadAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static SseItem<string> ToEvent(StockAlert alert) =>
        new(JsonSerializer.Serialize(alert, Infrastructure.AppJsonContext.Default.StockAlert), "stock-alert") { EventId = EventId(alert) };


    /// <summary>The event id orders alerts the way the alerts does: time, then id.</summary>
    private static string EventId(StockAlert alert) =>
        $"{alert.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}.{alert.AlertId}";

    private static DeliveryCursor? ParseEventId(string id)
    {
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && long.TryParse(id.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms < 253_402_300_799_999
            ? new DeliveryCursor(DateTimeOffset.FromUnixTimeMilliseconds(ms), id[(dot + 1)..])
            : null;
    }
}
