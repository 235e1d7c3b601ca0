using System.Collections.Concurrent;
using System.Threading.Channels;
using Inventory.Api.Features.Jobs;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Domain;

namespace Inventory.Api.Features.Alerts;

/// <summary>
/// The live feed behind GET /admin/alerts/stream: one reader tails the alert records (written by any instance)
/// and hands each new alert to every connected admin. A subscriber that cannot keep up loses its oldest
/// undelivered alerts rather than growing this process's memory; GET /admin/alerts always has them all.
/// </summary>
public sealed class AlertFeed(AlertRecords alerts, IOptions<AlertOptions> options, TimeProvider clock, ILogger<AlertFeed> logger)
    : PeriodicJob(TimeSpan.FromSeconds(options.Value.PollIntervalSeconds), logger)
{
    private const int SubscriberBuffer = 1000;

    private readonly ConcurrentDictionary<Channel<StockAlert>, byte> subscribers = new();
    private readonly AlertTail tail = new(alerts, clock.GetUtcNow());

    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<StockAlert>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        subscribers.TryAdd(channel, 0);
        return new Subscription(channel.Reader, () => subscribers.TryRemove(channel, out _));
    }

    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        foreach (var alert in await tail.NextAsync(ct))
        {
            foreach (var subscriber in subscribers.Keys)
            {
                subscriber.Writer.TryWrite(alert);
            }
        }
    }

    public sealed class Subscription(ChannelReader<StockAlert> alerts, Action unsubscribe) : IDisposable
    {
        public ChannelReader<StockAlert> Alerts { get; } = alerts;

        public void Dispose() => unsubscribe();
    }
}
