using System.Security.Cryptography;
using System.Text;

namespace Serverless.Storage.Http;

/// <summary>HMAC-SHA256 of a string-to-sign with the account key, as both Shared Key schemes use.</summary>
internal static class SharedKeySigner
{
    public static string Sign(byte[] accountKey, string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(accountKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>RFC 1123 date for <c>x-ms-date</c>, taken fresh on every try so retries are not rejected as stale.</summary>
    public static string Now() => DateTimeOffset.UtcNow.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
