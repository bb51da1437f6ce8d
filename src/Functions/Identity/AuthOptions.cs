namespace Serverless.Functions.Identity;

/// <summary>
/// How callers prove who they are (configuration section <c>Auth</c>). Configure exactly one token
/// source: <see cref="HmacSecret"/> (Supabase's legacy HS256 secret), <see cref="Authority"/> (OIDC
/// discovery: Entra ID, Auth0, Supabase asymmetric keys) or <see cref="JwksUri"/> (a bare JWKS).
/// </summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Auth";

    /// <summary>The most clock skew we allow when checking <c>exp</c> and <c>nbf</c>.</summary>
    public const int MaxClockSkewSeconds = 60;

    /// <summary>Required <c>iss</c>, e.g. <c>https://PROJECT.supabase.co/auth/v1</c>. Required unless only development tokens are used.</summary>
    public string? Issuer { get; set; }

    /// <summary>Required <c>aud</c>, e.g. <c>authenticated</c> for Supabase.</summary>
    public string? Audience { get; set; }

    /// <summary>Shared secret for HS256 tokens (Supabase legacy JWT secret). When set, only HS256 is accepted.</summary>
    public string? HmacSecret { get; set; }

    /// <summary>OIDC authority whose discovery document names the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>A JWKS URL to take signing keys from directly (e.g. <c>…/auth/v1/.well-known/jwks.json</c>).</summary>
    public string? JwksUri { get; set; }

    /// <summary>Asymmetric algorithms accepted with <see cref="Authority"/> or <see cref="JwksUri"/>. Default: RS256 and ES256.</summary>
    public string[] Algorithms { get; set; } = ["RS256", "ES256"];

    /// <summary>
    /// Require the <c>role</c> claim to be <c>authenticated</c>. Turn on for Supabase, whose public
    /// <c>anon</c> and <c>service_role</c> keys are valid JWTs signed with the same secret.
    /// </summary>
    public bool RequireAuthenticatedRole { get; set; }

    /// <summary>Allowed clock skew in seconds, 0 to 60. Default 60.</summary>
    public int ClockSkewSeconds { get; set; } = MaxClockSkewSeconds;

    /// <summary>
    /// Trust App Service Authentication's <c>X-MS-CLIENT-PRINCIPAL</c> headers. Only when the app runs
    /// behind it: the front end strips those headers from clients, nothing else does.
    /// </summary>
    public bool TrustAppServiceAuthentication { get; set; }

    /// <summary>Development-only token issuer.</summary>
    public DevelopmentTokenOptions Development { get; set; } = new();
}

/// <summary>
/// A local token issuer for development (<c>Auth:Development</c>): HS256 tokens that the app mints
/// itself. The app refuses to start with it enabled outside the Development environment.
/// </summary>
public sealed class DevelopmentTokenOptions
{
    /// <summary>The issuer of development tokens.</summary>
    public const string TokenIssuer = "urn:serverless-persistence:development";

    /// <summary>The audience of development tokens.</summary>
    public const string TokenAudience = "urn:serverless-persistence:api";

    /// <summary>Whether development tokens are accepted (Development environment only).</summary>
    public bool Enabled { get; set; }

    /// <summary>The HS256 key, at least 32 characters. Not a secret: it only ever guards a developer's laptop.</summary>
    public string SigningKey { get; set; } = string.Empty;

    /// <summary>Lifetime of minted tokens. Default 12 hours.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(12);
}
