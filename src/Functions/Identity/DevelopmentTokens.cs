using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Functions.Identity;

/// <summary>Mints and describes development tokens (see <see cref="DevelopmentTokenOptions"/>).</summary>
public static class DevelopmentTokens
{
    /// <summary>The signing key of development tokens.</summary>
    public static SymmetricSecurityKey SigningKey(DevelopmentTokenOptions options)
    {
        if (options.SigningKey.Length < 32)
        {
            throw new InvalidOperationException("Auth:Development:SigningKey must be at least 32 characters.");
        }

        return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey));
    }

    /// <summary>A token for <paramref name="userId"/> that the app accepts while development tokens are enabled.</summary>
    public static string Mint(DevelopmentTokenOptions options, string userId, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        var now = time.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = DevelopmentTokenOptions.TokenIssuer,
            Audience = DevelopmentTokenOptions.TokenAudience,
            Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("role", "authenticated")]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.Lifetime,
            SigningCredentials = new SigningCredentials(SigningKey(options), SecurityAlgorithms.HmacSha256),
        };
        return new JwtSecurityTokenHandler().CreateEncodedJwt(descriptor);
    }
}
