using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Serverless.Bench.App;

/// <summary>
/// An HS256 user token for the server's <c>Auth:HmacSecret</c> mode. The bench runs the server as
/// Production (development tokens are refused there), so it signs its own token with the secret it
/// gives the server; the bench does not reference the server's JWT packages.
/// </summary>
internal static class BenchToken
{
    public const string Issuer = "urn:bench:issuer";
    public const string Audience = "urn:bench:api";

    public static string Mint(string secret, string userId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(new { sub = userId, role = "authenticated", iss = Issuer, aud = Audience, iat = now, nbf = now, exp = now + 3600 }));
        var signature = Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
