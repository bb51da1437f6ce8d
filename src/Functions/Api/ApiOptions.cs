namespace Serverless.Functions.Api;

/// <summary>HTTP API limits and settings (configuration section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Api";

    /// <summary>Largest request body accepted, in bytes. Default 1 MiB; larger bodies get 413 before they are read.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Key (base64, at least 32 bytes) that signs list cursors. Every instance must share it. In
    /// Development a random key is used when none is set (cursors then die with the process).
    /// </summary>
    public string? CursorSigningKey { get; set; }

    /// <summary>Origins of HUDs allowed to call the API from a browser (CORS). Default: none.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Per-user request budget (authenticated operations).</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>
    /// Per-client-address budget of requests without a valid user: anonymous operations (health, readiness, the OpenAPI
    /// document) and failed authentications. Default 120 a minute, 30 at once.
    /// </summary>
    public RateLimitOptions AddressRateLimit { get; set; } = new() { PermitsPerMinute = 120, Burst = 30 };
}

/// <summary>A token bucket per user (or per client address, see <see cref="ApiOptions.AddressRateLimit"/>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per minute on average. Default 600 (per user).</summary>
    public int PermitsPerMinute { get; set; } = 600;

    /// <summary>Requests in a burst. Default 100 (per user).</summary>
    public int Burst { get; set; } = 100;
}
