using System.Globalization;
using System.Threading.RateLimiting;
using Inventory.Api.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;

namespace Inventory.Api.Security;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    /// <summary>Sustained requests per second per API key (or per client address without a key).</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>Short bursts allowed above the sustained rate.</summary>
    public int Burst { get; set; } = 400;
}

/// <summary>
/// Per-key token buckets inside one instance. On AWS, API Gateway usage plans enforce the per-key limit
/// across all instances; this one protects a single instance and the local service.
/// </summary>
public static class RateLimits
{
    public static void Add(IServiceCollection services, RateLimitOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var partition = http.User.Identity?.IsAuthenticated == true
                    ? "key:" + http.User.Identity.Name
                    : "ip:" + http.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, options.Burst),
                    TokensPerPeriod = Math.Max(1, options.PermitsPerSecond),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                var http = context.HttpContext;
                http.Response.StatusCode = 429;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = ProblemHandling.Problem(429, "rate_limited", "Too many requests.",
                        $"This key is over its request rate; retry after {seconds} s."),
                });
            };
        });
    }
}
