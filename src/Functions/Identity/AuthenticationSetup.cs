using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Serverless.Storage.Users;

namespace Serverless.Functions.Identity;

/// <summary>Wires JWT bearer validation, App Service Authentication and development tokens from <see cref="AuthOptions"/>.</summary>
public static class AuthenticationSetup
{
    /// <summary>The scheme that picks between the two below for each request.</summary>
    public const string UserScheme = "User";

    /// <summary>JWT bearer tokens.</summary>
    public const string BearerScheme = JwtBearerDefaults.AuthenticationScheme;

    /// <summary>App Service Authentication headers.</summary>
    public const string AppServiceScheme = "AppServiceAuthentication";

    private static readonly HashSet<string> AsymmetricAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    /// <summary>Adds authentication with the app's schemes; <see cref="Api.ApiPipeline"/> authenticates each non-anonymous operation with it.</summary>
    /// <exception cref="InvalidOperationException">The configuration is unsafe or incomplete; the message says what to set.</exception>
    public static IServiceCollection AddUserAuthentication(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        Validate(options, environment);

        var builder = services.AddAuthentication(UserScheme)
            .AddPolicyScheme(UserScheme, "Bearer token or App Service Authentication", policy => policy.ForwardDefaultSelector = context =>
                options.TrustAppServiceAuthentication && context.Request.Headers.ContainsKey(AppServicePrincipalHandler.PrincipalHeader) ? AppServiceScheme : BearerScheme)
            .AddJwtBearer(BearerScheme, jwt => ConfigureJwt(jwt, options));
        if (options.TrustAppServiceAuthentication)
        {
            builder.AddScheme<AuthenticationSchemeOptions, AppServicePrincipalHandler>(AppServiceScheme, null);
        }

        return services;
    }

    private static void Validate(AuthOptions options, IHostEnvironment environment)
    {
        if (options.Development.Enabled && !environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"Auth:Development:Enabled is true in the '{environment.EnvironmentName}' environment. Development tokens can only be enabled in Development.");
        }

        var sources = new[] { options.HmacSecret, options.Authority, options.JwksUri }.Count(s => !string.IsNullOrWhiteSpace(s));
        if (sources > 1)
        {
            throw new InvalidOperationException("Set only one of Auth:HmacSecret, Auth:Authority and Auth:JwksUri.");
        }

        if (sources == 0 && !options.Development.Enabled && !options.TrustAppServiceAuthentication)
        {
            throw new InvalidOperationException(
                "No way to authenticate users is configured: set Auth:HmacSecret, Auth:Authority or Auth:JwksUri (with Auth:Issuer and Auth:Audience), " +
                "or Auth:TrustAppServiceAuthentication behind App Service Authentication.");
        }

        if (sources == 1 && (string.IsNullOrWhiteSpace(options.Issuer) || string.IsNullOrWhiteSpace(options.Audience)))
        {
            throw new InvalidOperationException("Auth:Issuer and Auth:Audience are required: tokens without a checked iss and aud are not accepted.");
        }

        if (options.HmacSecret is { Length: > 0 and < 32 })
        {
            throw new InvalidOperationException("Auth:HmacSecret must be at least 32 characters.");
        }

        if (options.ClockSkewSeconds is < 0 or > AuthOptions.MaxClockSkewSeconds)
        {
            throw new InvalidOperationException($"Auth:ClockSkewSeconds must be between 0 and {AuthOptions.MaxClockSkewSeconds}.");
        }

        if (options.Algorithms.Length == 0 || options.Algorithms.Any(a => !AsymmetricAlgorithms.Contains(a)))
        {
            throw new InvalidOperationException($"Auth:Algorithms may only list {string.Join(", ", AsymmetricAlgorithms)}; HS256 is implied by Auth:HmacSecret.");
        }
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, AuthOptions options)
    {
        var issuers = new List<string>();
        var audiences = new List<string>();
        var algorithms = new List<string>();
        var keys = new List<SecurityKey>();

        if (!string.IsNullOrWhiteSpace(options.Issuer))
        {
            issuers.Add(options.Issuer);
            audiences.Add(options.Audience!);
        }

        if (!string.IsNullOrWhiteSpace(options.HmacSecret))
        {
            algorithms.Add(SecurityAlgorithms.HmacSha256);
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.HmacSecret)));
        }
        else if (!string.IsNullOrWhiteSpace(options.Authority) || !string.IsNullOrWhiteSpace(options.JwksUri))
        {
            algorithms.AddRange(options.Algorithms);
        }

        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            jwt.Authority = options.Authority;
            jwt.RequireHttpsMetadata = !IsLoopback(options.Authority);
        }
        else if (!string.IsNullOrWhiteSpace(options.JwksUri))
        {
            jwt.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                options.JwksUri,
                new JwksConfigurationRetriever(options.Issuer!),
                new HttpDocumentRetriever { RequireHttps = !IsLoopback(options.JwksUri) });
        }

        if (options.Development.Enabled)
        {
            issuers.Add(DevelopmentTokenOptions.TokenIssuer);
            audiences.Add(DevelopmentTokenOptions.TokenAudience);
            algorithms.Add(SecurityAlgorithms.HmacSha256);
            keys.Add(DevelopmentTokens.SigningKey(options.Development));
        }

        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuers = issuers,
            ValidateAudience = true,
            ValidAudiences = audiences,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys,
            ValidAlgorithms = algorithms.Distinct().ToArray(),
            ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
            NameClaimType = CurrentUser.UserIdClaim,
            RoleClaimType = "role",
        };
        jwt.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                if (RejectionOf(context.SecurityToken, options) is { } reason)
                {
                    context.Fail(reason);
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>What the library does not check: critical extensions, the subject, and (for Supabase) the session role.</summary>
    private static string? RejectionOf(SecurityToken token, AuthOptions options)
    {
        if (token is not JsonWebToken jwt)
        {
            return "The token is not a signed JWT.";
        }

        if (jwt.TryGetHeaderValue<object>("crit", out _))
        {
            // RFC 7515 §4.1.11: a recipient must refuse a token whose "crit" names an extension it does not understand, and
            // an empty or malformed "crit" is invalid. We implement no JWS extension, so any "crit" at all is refused.
            return "The token marks a header extension as critical ('crit'); none is supported.";
        }

        if (string.IsNullOrEmpty(jwt.Subject) || jwt.Subject.Length > UserPartition.MaxUserIdLength)
        {
            return "The token has no usable 'sub' claim.";
        }

        // Supabase's anon and service_role API keys are signed like user tokens; only user sessions carry role=authenticated.
        // Read the claim as JSON, not from the principal: there ["authenticated", "service_role"] becomes two string claims.
        if (options.RequireAuthenticatedRole && !(jwt.TryGetPayloadValue<object>("role", out var role) && role is "authenticated"))
        {
            return "The token is not a user session (role must be the string 'authenticated').";
        }

        return null;
    }

    private static bool IsLoopback(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback;
}
