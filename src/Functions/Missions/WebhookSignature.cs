using System.Security.Cryptography;
using System.Text;

namespace Serverless.Functions.Missions;

/// <summary>Standard Webhooks secrets and signatures.</summary>
public static class WebhookSignature
{
    /// <summary>The prefix of a secret as shown to users.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>Random bytes per new secret (the standard allows 24 to 64).</summary>
    public const int SecretBytes = 32;

    /// <summary>A new random secret's bytes.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    /// <summary>The secret as the user sees it: <c>whsec_</c> + base64.</summary>
    public static string Format(byte[] secret) => SecretPrefix + Convert.ToBase64String(secret);

    /// <summary>
    /// The <c>webhook-signature</c> value: one <c>v1,{base64 HMAC-SHA256("{id}.{timestamp}.{body}")}</c> per
    /// secret, space-separated, so receivers holding either side of a rotation verify.
    /// </summary>
    public static string Sign(string webhookId, long timestamp, byte[] body, IEnumerable<byte[]> secrets)
    {
        var prefix = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.");
        byte[] message = [.. prefix, .. body];
        return string.Join(' ', secrets.Select(s => "v1," + Convert.ToBase64String(HMACSHA256.HashData(s, message))));
    }

    /// <summary>A deterministic firing id from the mission and occurrence, so every retry and every instance uses the same <c>webhook-id</c>.</summary>
    public static string FiringId(string missionId, DateTimeOffset scheduledAt, bool manual)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{missionId}|{scheduledAt.UtcTicks}|{(manual ? "manual" : "scheduled")}"));
        return "msg_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
