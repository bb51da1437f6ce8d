using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Api;

/// <summary>
/// CORS for the HUD origins in <see cref="ApiOptions.AllowedOrigins"/>: one policy, applied with
/// ASP.NET Core's <see cref="ICorsService"/>. Both hosts put its headers on real responses (notably
/// <c>Access-Control-Expose-Headers</c>, which platform CORS cannot set, so a browser can read ETag).
/// Preflights: the local server answers them here; under the Functions host an OPTIONS never
/// reaches a function, so the platform answers them from its own CORS list, which infra sets from
/// the same allowed-origins parameter.
/// </summary>
public sealed class ApiCors(ICorsService cors, IOptions<ApiOptions> options)
{
    private readonly CorsPolicy policy = Build(options.Value.AllowedOrigins);

    /// <summary>The methods a HUD may use.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>The request headers a HUD may send.</summary>
    public static IReadOnlyList<string> RequestHeaders { get; } = ["Authorization", "Content-Type", "If-Match", "If-None-Match", IdempotencyKeys.Header];

    /// <summary>The response headers a HUD may read.</summary>
    public static IReadOnlyList<string> ExposedHeaders { get; } = ["ETag", "Location", "Retry-After", IdempotencyKeys.ReplayedHeader];

    /// <summary>Adds the CORS headers to a real (not preflight) response of an allowed origin.</summary>
    public void ApplyToResponse(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Headers.Origin.Count > 0)
        {
            cors.ApplyResult(cors.EvaluatePolicy(context, policy), context.Response);
        }
    }

    /// <summary>Answers a CORS preflight (204, with the policy's headers for an allowed origin); false when the request is not one.</summary>
    public bool TryAnswerPreflight(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!HttpMethods.IsOptions(request.Method) || request.Headers.Origin.Count == 0 || request.Headers.AccessControlRequestMethod.Count == 0)
        {
            return false;
        }

        cors.ApplyResult(cors.EvaluatePolicy(context, policy), context.Response);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return true;
    }

    private static CorsPolicy Build(string[] origins) => new CorsPolicyBuilder()
        .WithOrigins(origins)
        .WithMethods([.. Methods])
        .WithHeaders([.. RequestHeaders])
        .WithExposedHeaders([.. ExposedHeaders])
        .SetPreflightMaxAge(TimeSpan.FromHours(1))
        .Build();
}
