using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Domain;

namespace Inventory.Api.Features.Alerts;

/// <summary>
/// Posts every alert to the configured webhook, at least once and in order. A failed delivery is retried with
/// doubling waits until it succeeds, and the delivery cursor is saved after each success, so neither a failing
/// receiver nor a restart loses an alert. A crash between a delivery and its cursor save sends that alert again:
/// every delivery carries the alert id (body and Idempotency-Key header) for the receiver to drop repeats.
/// </summary>
public sealed class AlertWebhook(
    AlertRecords alerts, DeliveryCursors cursors, IHttpClientFactory http, IOptions<AlertOptions> options,
    TimeProvider clock, ILogger<AlertWebhook> logger) : BackgroundService
{
    public const string HttpClientName = "alert-webhook";
    private const string Sink = "webhook";

    private readonly AlertOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(0.1, settings.PollIntervalSeconds));
        AlertTail? tail = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                tail ??= await StartTailAsync(stoppingToken);
                foreach (var alert in await tail.NextAsync(stoppingToken))
                {
                    await DeliverAsync(alert, stoppingToken);
                    await cursors.SaveAsync(Sink, new DeliveryCursor(alert.CreatedAt, alert.AlertId), stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Alert webhook could not read or save its progress; trying again");
            }

            await Task.Delay(interval, clock, stoppingToken);
        }
    }

    /// <summary>Resumes after the last delivered alert; a first start begins now (history is in GET /admin/alerts).</summary>
    private async Task<AlertTail> StartTailAsync(CancellationToken ct)
    {
        if (await cursors.GetAsync(Sink, ct) is { } cursor)
        {
            return new AlertTail(alerts, cursor.At, cursor.AlertId);
        }

        var now = clock.GetUtcNow();
        await cursors.SaveAsync(Sink, new DeliveryCursor(now, string.Empty), ct);
        return new AlertTail(alerts, now);
    }

    private async Task DeliverAsync(StockAlert alert, CancellationToken ct)
    {
        var client = http.CreateClient(HttpClientName);
        client.Timeout = TimeSpan.FromSeconds(settings.WebhookTimeoutSeconds);
        for (var attempt = 1; ; attempt++)
        {
            HttpStatusCode? status = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, settings.WebhookUrl)
                {
                    Content = JsonContent.Create(alert, AppJsonContext.Default.StockAlert),
                };
                request.Headers.Add("Idempotency-Key", alert.AlertId);
                using var response = await client.SendAsync(request, ct);
                status = response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                if (IsRefusal(response.StatusCode))
                {
                    // The receiver says this request will never be accepted; retrying forever would stall every later alert.
                    logger.LogError("Alert webhook refused alert {AlertId} with {Status}; it will not be sent again", alert.AlertId, (int)response.StatusCode);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                logger.LogDebug(e, "Alert webhook attempt {Attempt} failed", attempt);
            }

            var wait = Backoff(attempt);
            logger.LogWarning("Alert {AlertId} not delivered (attempt {Attempt}, status {Status}); retrying in {Wait}",
                alert.AlertId, attempt, status is null ? "no answer" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), wait);
            await Task.Delay(wait, clock, ct);
        }
    }

    private static bool IsRefusal(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests;

    /// <summary>Doubling waits with jitter, so many instances retrying a recovering receiver do not arrive together.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var seconds = Math.Min(settings.WebhookRetryMaxSeconds, settings.WebhookRetryBaseSeconds * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return TimeSpan.FromSeconds(seconds * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
