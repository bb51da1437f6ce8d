using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Identity;

/// <summary>
/// Authenticates from App Service Authentication's headers (<c>X-MS-CLIENT-PRINCIPAL-ID</c> and the
/// base64 JSON <c>X-MS-CLIENT-PRINCIPAL</c>). Registered only behind
/// <see cref="AuthOptions.TrustAppServiceAuthentication"/>: anywhere else a client could forge them.
/// </summary>
internal sealed class AppServicePrincipalHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    public const string PrincipalIdHeader = "X-MS-CLIENT-PRINCIPAL-ID";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(PrincipalHeader, out var encoded))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim>();
        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded.ToString())));
            if (document.RootElement.TryGetProperty("claims", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var claim in list.EnumerateArray())
                {
                    if (claim.TryGetProperty("typ", out var typ) && claim.TryGetProperty("val", out var val) && typ.GetString() is { } type && val.GetString() is { } value)
                    {
                        claims.Add(new Claim(type, value));
                    }
                }
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return Task.FromResult(AuthenticateResult.Fail("X-MS-CLIENT-PRINCIPAL is not base64 JSON."));
        }

        var userId = Request.Headers[PrincipalIdHeader].ToString();
        if (string.IsNullOrEmpty(userId))
        {
            return Task.FromResult(AuthenticateResult.Fail("X-MS-CLIENT-PRINCIPAL-ID is missing."));
        }

        claims.RemoveAll(c => c.Type == CurrentUser.UserIdClaim);
        claims.Add(new Claim(CurrentUser.UserIdClaim, userId));
        var identity = new ClaimsIdentity(claims, Scheme.Name, CurrentUser.UserIdClaim, "roles");
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}
