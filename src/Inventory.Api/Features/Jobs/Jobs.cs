using Inventory.Api.Storage;
using Microsoft.Extensions.Options;
using Inventory.Api.Projections;
using Inventory.Api.Features.Reservations;

namespace Inventory.Api.Features.Jobs;

public sealed class JobOptions
{
    public const string Section = "Jobs";

    /// <summary>Run the background jobs inside this process (local runs). On AWS a schedule drives them instead.</summary>
    public bool RunInProcess { get; set; }

    /// <summary>How often the expiry sweep runs in process; holds come back within about this long after expiring.</summary>
    public double ExpirySweepIntervalSeconds { get; set; } = 1;

    /// <summary>How often the threshold check runs in process (every 15 minutes).</summary>
    public double ThresholdCheckIntervalSeconds { get; set; } = 900;

    /// <summary>
    /// Against DynamoDB Local, read the inventory table's change stream inside this process (the stored status and the
    /// alerts follow from it). On AWS the stream function's event source mapping does it, and this has no effect.
    /// </summary>
    public bool ReadStreamInProcess { get; set; } = true;

    /// <summary>
    /// How long the local stream reader waits between two rounds of reading, with or without new records: under load
    /// each round takes a batch, which keeps the reader's share of the machine small (the lag stays within it).
    /// </summary>
    public double StreamPollIntervalMilliseconds { get; set; } = 50;

    /// <summary>
    /// How long (and at least 5 attempts) the local stream reader keeps retrying a change record that fails before it logs it and moves on, as
    /// the stream function's mapping gives up after its retries: a record that can never be handled must not hold back
    /// every later one. The threshold check repairs that row's status once the row is quiet.
    /// </summary>
    public double StreamRecordRetrySeconds { get; set; } = 60;
}

/// <summary>Runs a job every interval; a failed run is logged and retried at the next tick.</summary>
public abstract class PeriodicJob(TimeSpan interval, ILogger logger) : BackgroundService
{
    protected abstract Task RunOnceAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "{Job} failed; retrying at the next tick", GetType().Name);
            }
        }
    }
}

/// <summary>Returns the units of abandoned carts: expires holds whose time is up. Each hold is expired at most once.</summary>
public sealed class ExpirySweeper(HoldExpiry expiry, IOptions<JobOptions> options, ILogger<ExpirySweeper> logger)
    : PeriodicJob(TimeSpan.FromSeconds(options.Value.ExpirySweepIntervalSeconds), logger)
{
    protected override async Task RunOnceAsync(CancellationToken ct)
    {
        var expired = await expiry.ExpireDueAsync(ct);
        if (expired > 0)
        {
            logger.LogInformation("Expiry sweep returned the units of {Count} expired reservation(s)", expired);
        }
    }
}

/// <summary>The scheduled threshold check: repairs the stored status of quiet rows the stream left wrong, with the alerts they missed.</summary>
public sealed class ThresholdChecker(ThresholdCheck check, IOptions<JobOptions> options, ILogger<ThresholdChecker> logger)
    : PeriodicJob(TimeSpan.FromSeconds(options.Value.ThresholdCheckIntervalSeconds), logger)
{
    protected override Task RunOnceAsync(CancellationToken ct) =>
        check.RunAsync(ct);
}
