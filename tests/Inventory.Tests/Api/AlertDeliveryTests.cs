using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Inventory.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inventory.Tests.Api;

/// <summary>A server-sent events reader over a real streaming HTTP response.</summary>
public sealed class SseReader(StreamReader reader)
{
    public sealed record Event(string Type, string? Id, string Data);

    /// <summary>The next event of the given type, or a failed test after the timeout.</summary>
    public async Task<Event> NextAsync(string type, TimeSpan timeout, Func<Event, bool>? where = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        string eventType = "message", data = "";
        string? id = null;
        while (true)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("the stream ended");
            if (line.Length == 0)
            {
                var complete = new Event(eventType, id, data);
                if (complete.Type == type && (where is null || where(complete)))
                {
                    return complete;
                }

                (eventType, data, id) = ("message", "", null);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventType = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data += line["data: ".Length..];
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line["id: ".Length..];
            }
        }
    }

    public static async Task<(HttpResponseMessage Response, SseReader Reader)> OpenAsync(HttpClient client, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/admin/alerts/stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return (response, new SseReader(new StreamReader(await response.Content.ReadAsStreamAsync())));
    }
}

public class AlertStreamTests(TestService service) : IClassFixture<TestService>
{
    /// <summary>An alert about this product's move into this status (creating a product raises OUT_OF_STOCK → IN_STOCK first).</summary>
    private static Func<SseReader.Event, bool> About(string sku, string newStatus) => e =>
        JsonDocument.Parse(e.Data).RootElement is var alert
        && alert.GetProperty("product_id").GetString() == sku
        && alert.GetProperty("new_status").GetString() == newStatus;

    [Fact]
    public async Task A_connected_admin_sees_each_transition_as_it_happens()
    {
        using var admin = service.Client();
        admin.Timeout = Timeout.InfiniteTimeSpan;
        var (response, stream) = await SseReader.OpenAsync(admin);
        using var _ = response;
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await stream.NextAsync("ready", TimeSpan.FromSeconds(10));

        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "r1" })).EnsureSuccessStatusCode();

        var low = await stream.NextAsync("stock-alert", TimeSpan.FromSeconds(10), About(sku, "LOW_STOCK"));
        var alert = JsonDocument.Parse(low.Data).RootElement;
        Assert.Equal("IN_STOCK", alert.GetProperty("old_status").GetString());
        Assert.Equal("LOW_STOCK", alert.GetProperty("new_status").GetString());
        Assert.Equal(4, alert.GetProperty("available_count").GetInt64());
        Assert.False(string.IsNullOrEmpty(low.Id));

        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "r2" })).EnsureSuccessStatusCode();
        var outOfStock = JsonDocument.Parse((await stream.NextAsync("stock-alert", TimeSpan.FromSeconds(10), About(sku, "OUT_OF_STOCK"))).Data).RootElement;
        Assert.Equal("LOW_STOCK", outOfStock.GetProperty("old_status").GetString());
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_delivers_what_was_missed()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        using var admin = service.Client();
        admin.Timeout = Timeout.InfiniteTimeSpan;
        string lastSeen;
        {
            var (response, stream) = await SseReader.OpenAsync(admin);
            using var _ = response;
            await stream.NextAsync("ready", TimeSpan.FromSeconds(10));
            (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "r1" })).EnsureSuccessStatusCode();
            lastSeen = (await stream.NextAsync("stock-alert", TimeSpan.FromSeconds(10), About(sku, "LOW_STOCK"))).Id!;
        }

        // While disconnected, the row runs out.
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "r2" })).EnsureSuccessStatusCode();

        var (again, resumed) = await SseReader.OpenAsync(admin, lastSeen);
        using var __ = again;
                // The first alert after the resume point is the one written while away, not a repeat of what was seen.
        var missed = JsonDocument.Parse((await resumed.NextAsync("stock-alert", TimeSpan.FromSeconds(10))).Data).RootElement;
        Assert.Equal(sku, missed.GetProperty("product_id").GetString());
        Assert.Equal("LOW_STOCK", missed.GetProperty("old_status").GetString());
        Assert.Equal("OUT_OF_STOCK", missed.GetProperty("new_status").GetString());
    }

    [Fact]
    public async Task The_stream_is_for_admins_only()
    {
        using var reader = service.Client(TestService.ReadKey);
        await TestService.AssertProblemAsync(await reader.GetAsync("/admin/alerts/stream"), 403, "forbidden");
    }
}

/// <summary>A service whose alerts go to a local webhook receiver that fails its first requests.</summary>
public sealed class WebhookService : TestService
{
    private WebApplication? receiver;

    public ConcurrentQueue<(string AlertId, string? IdempotencyKey, JsonElement Body)> Accepted { get; } = new();

    public int Attempts => attempts;

    /// <summary>The receiver answers 503 to this many requests before accepting any.</summary>
    public int FailFirst { get; } = 3;

    private int attempts;

    protected override IEnumerable<string> ExtraArgs =>
    [
        $"--Alerts:WebhookUrl={ReceiverUrl}",
        "--Alerts:PollIntervalSeconds=0.2",
        "--Alerts:WebhookRetryBaseSeconds=0.05",
        "--Alerts:WebhookRetryMaxSeconds=0.2",
    ];

    private string ReceiverUrl { get; set; } = "";

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext http) =>
        {
            if (Interlocked.Increment(ref attempts) <= FailFirst)
            {
                return Results.StatusCode(503);
            }

            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            Accepted.Enqueue((body.GetProperty("alert_id").GetString()!, http.Request.Headers["Idempotency-Key"].ToString(), body));
            return Results.Ok();
        });
        await receiver.StartAsync();
        ReceiverUrl = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }
}

public class AlertWebhookTests(WebhookService service) : IClassFixture<WebhookService>
{
    [Fact]
    public async Task Every_alert_reaches_the_webhook_once_despite_failures()
    {
        var sku = await service.CreateProductAsync(stock: 10, threshold: 5);
        using var platform = service.Client(TestService.ReserveKey);
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 6, reservation_id = "r1" })).EnsureSuccessStatusCode();
        (await platform.PostAsJsonAsync($"/inventory/{sku}/reserve", new { quantity = 4, reservation_id = "r2" })).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/r1")).EnsureSuccessStatusCode();
        (await platform.DeleteAsync($"/inventory/{sku}/reserve/r2")).EnsureSuccessStatusCode();

        // Four transitions: OUT→IN (the product's creation), IN→LOW, LOW→OUT, OUT→IN (6 back, above the threshold).
        var deadline = DateTimeOffset.UtcNow.AddSeconds(15);
        while (service.Accepted.Count(a => a.Body.GetProperty("product_id").GetString() == sku) < 4 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var mine = service.Accepted.Where(a => a.Body.GetProperty("product_id").GetString() == sku).ToList();
        Assert.Equal(
            ["OUT_OF_STOCK>IN_STOCK", "IN_STOCK>LOW_STOCK", "LOW_STOCK>OUT_OF_STOCK", "OUT_OF_STOCK>IN_STOCK"],
            mine.Select(a => $"{a.Body.GetProperty("old_status").GetString()}>{a.Body.GetProperty("new_status").GetString()}"));
        Assert.Equal(mine.Count, mine.Select(a => a.AlertId).Distinct().Count());
        Assert.All(mine, a => Assert.Equal(a.AlertId, a.IdempotencyKey));
        Assert.True(service.Attempts > service.Accepted.Count, "the receiver's failures were retried");

        // Nothing arrives twice later either.
        await Task.Delay(1000);
        Assert.Equal(4, service.Accepted.Count(a => a.Body.GetProperty("product_id").GetString() == sku));
    }
}
