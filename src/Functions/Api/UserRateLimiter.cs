using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Api;

/// <summary>
/// The per-user token bucket (<see cref="ApiOptions.RateLimit"/>), one per process, partitioned by
/// the validated user id. A plain <see cref="PartitionedRateLimiter{TResource}"/> rather than the
/// rate-limiting middleware, so both hosts run the same limiter.
/// </summary>
public sealed class UserRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;

    /// <summary>Creates the limiter from the configured budget.</summary>
    public UserRateLimiter(IOptions<ApiOptions> options)
    {
        var budget = options.Value.RateLimit;
        limiter = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, budget.Burst),
            TokensPerPeriod = Math.Max(1, budget.PermitsPerMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one permit for <paramref name="userId"/>.</summary>
    /// <returns>A 429 problem (with Retry-After) when the user's budget is spent, else null.</returns>
    public IResult? TryAcquire(HttpContext context, string userId)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var lease = limiter.AttemptAcquire(userId);
        if (lease.IsAcquired)
        {
            return null;
        }

        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        return Problems.Result(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.", "Retry after the Retry-After delay.");
    }

    /// <inheritdoc />
    public void Dispose() => limiter.Dispose();
}
