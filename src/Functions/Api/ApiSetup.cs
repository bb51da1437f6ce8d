using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.RateLimiting;

namespace Serverless.Functions.Api;

/// <summary>The API conventions shared by every endpoint: JSON, problems, limits, CORS, rate limiting, OpenAPI.</summary>
public static class ApiSetup
{
    /// <summary>The CORS policy for configured HUD origins.</summary>
    public const string CorsPolicy = "hud";

    /// <summary>The per-user rate limiting policy.</summary>
    public const string RateLimitPolicy = "per-user";

    /// <summary>Registers the conventions' services.</summary>
    public static IServiceCollection AddApiConventions(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section);
        services.AddSingleton<CursorProtector>();
        services.AddProblemMapping();
        services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
            json.SerializerOptions.Converters.Add(new UtcDateTimeOffsetConverter());
        });
        services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(options.AllowedOrigins)
            .WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
            .WithHeaders("Authorization", "Content-Type", "If-Match", "If-None-Match", IdempotencyKeys.Header)
            .WithExposedHeaders("ETag", "Location", "Retry-After", IdempotencyKeys.ReplayedHeader)
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
            limiter.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.FindFirstValue("sub") is { } user ? "user:" + user : "ip:" + context.Connection.RemoteIpAddress,
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, options.RateLimit.Burst),
                    TokensPerPeriod = Math.Max(1, options.RateLimit.PermitsPerMinute / 6),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(10),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        });
        services.AddOpenApi("v1");
        return services;
    }
}
