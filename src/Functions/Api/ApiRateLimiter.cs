using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Api;

/// <summary>
/// The API's token buckets, one per process: per user (<see cref="ApiOptions.RateLimit"/>, keyed by the validated user
/// id) and per client address (<see cref="ApiOptions.AddressRateLimit"/>) for what comes without a valid user: anonymous
/// operations and failed authentications. A plain <see cref="PartitionedRateLimiter{TResource}"/> rather than the
/// rate-limiting middleware, so both hosts run the same limiter, from <see cref="ApiPipeline"/>.
/// </summary>
public sealed class ApiRateLimiter : IDisposable
{
    /// <summary>Tokens are added every this often (a sixth of the per-minute budget each time).</summary>
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private readonly PartitionedRateLimiter<string> limiter;
    private readonly RateLimitOptions users;
    private readonly RateLimitOptions addresses;

    /// <summary>Creates the limiter from the configured budgets.</summary>
    public ApiRateLimiter(IOptions<ApiOptions> options)
    {
        users = options.Value.RateLimit;
        addresses = options.Value.AddressRateLimit;
        limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, k => Bucket(k.StartsWith(UserPrefix, StringComparison.Ordinal) ? users : addresses)));
    }

    private const string UserPrefix = "user:";

    /// <summary>Takes one permit of <paramref name="userId"/>'s budget.</summary>
    /// <returns>A 429 problem (with Retry-After) when the user's budget is spent, else null.</returns>
    public IResult? TryAcquireForUser(HttpContext context, string userId) => TryAcquire(context, UserPrefix + userId, users, "from this user");

    /// <summary>Takes one permit of the budget of the request's client address (anonymous calls, failed authentication).</summary>
    /// <returns>A 429 problem (with Retry-After) when the address's budget is spent, else null.</returns>
    public IResult? TryAcquireForAddress(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return TryAcquire(context, "address:" + AddressKey(context.Connection.RemoteIpAddress), addresses, "from this address without a valid user token");
    }

    /// <summary>
    /// The partition of a client address. The connection's address: the local server's peer, or under the Functions
    /// worker the client the platform names in <c>X-Forwarded-For</c> (the worker's ASP.NET Core integration applies
    /// it). IPv4-mapped IPv6 counts as IPv4; other IPv6 addresses count per /64, the block one subscriber gets.
    /// </summary>
    internal static string AddressKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private IResult? TryAcquire(HttpContext context, string key, RateLimitOptions budget, string whose)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }

        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : Period;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.RetryAfter = seconds;
        return Problems.Result(StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.",
            $"More than {Math.Max(1, budget.Burst)} requests at once or {budget.PermitsPerMinute} a minute {whose}; retry in {seconds} s (Retry-After).");
    }

    private static TokenBucketRateLimiterOptions Bucket(RateLimitOptions budget) => new()
    {
        TokenLimit = Math.Max(1, budget.Burst),
        TokensPerPeriod = Math.Max(1, budget.PermitsPerMinute / 6),
        ReplenishmentPeriod = Period,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <inheritdoc />
    public void Dispose() => limiter.Dispose();
}
