using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Jobs;

public sealed class JobOptions
{
    public const string Section = "Jobs";

    /// <summary>Run the background jobs inside this process (local runs). On AWS a schedule drives them instead.</summary>
    public bool RunInProcess { get; set; }

    /// <summary>How often the expiry sweep runs in process; holds come back within about this long after expiring.</summary>
    public double ExpirySweepIntervalSeconds { get; set; } = 1;
}

/// <summary>Returns the units of abandoned carts: expires holds whose time is up, every interval.</summary>
public sealed class ExpirySweeper(ReservationStore reservations, IOptions<JobOptions> options, ILogger<ExpirySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(0.1, options.Value.ExpirySweepIntervalSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var expired = await reservations.ExpireDueAsync(stoppingToken);
                if (expired > 0)
                {
                    logger.LogInformation("Expiry sweep returned the units of {Count} expired reservation(s)", expired);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed sweep is retried at the next tick; each hold is expired at most once.
                logger.LogWarning(e, "Expiry sweep failed; retrying at the next tick");
            }
        }
    }
}
