using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Missions;

/// <summary>
/// Encrypts signing secrets at rest with AES-256-GCM under a key id from configuration
/// (<c>Missions:SecretKeys:&lt;keyId&gt;</c>, <c>Missions:ActiveSecretKeyId</c>). The stored form is
/// <c>{keyId}:{base64(nonce|tag|ciphertext)}</c>, so old rows stay readable after the active key changes.
/// The mission's identity is the associated data: a cipher copied to another mission does not decrypt.
/// </summary>
public sealed class MissionSecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> keys = new(StringComparer.Ordinal);
    private readonly string activeKeyId;

    /// <summary>Loads the keys; in Development with none configured, makes an ephemeral one (secrets then die with the process).</summary>
    /// <exception cref="InvalidOperationException">The keys are missing or malformed outside Development.</exception>
    public MissionSecretProtector(IOptions<MissionOptions> options, IHostEnvironment environment)
    {
        var o = options.Value;
        foreach (var (id, value) in o.SecretKeys)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                // The sample settings carry an empty slot; an unset key is no key.
                continue;
            }

            if (string.IsNullOrEmpty(id) || id.Contains(':', StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Missions:SecretKeys: a key id must be non-empty and contain no ':'.");
            }

            byte[] key;
            try
            {
                key = Convert.FromBase64String(value);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"Missions:SecretKeys:{id} is not valid base64.");
            }

            keys[id] = key.Length == 32 ? key : throw new InvalidOperationException($"Missions:SecretKeys:{id} must decode to exactly 32 bytes.");
        }

        if (keys.Count == 0 && environment.IsDevelopment())
        {
            keys["dev-ephemeral"] = RandomNumberGenerator.GetBytes(32);
            activeKeyId = "dev-ephemeral";
            return;
        }

        activeKeyId = o.ActiveSecretKeyId is { } active && keys.ContainsKey(active)
            ? active
            : throw new InvalidOperationException("Missions:ActiveSecretKeyId must name one of Missions:SecretKeys (base64 of 32 bytes each).");
    }

    /// <summary>Encrypts <paramref name="secret"/> for mission <paramref name="missionId"/> of <paramref name="userKey"/>.</summary>
    public string Protect(byte[] secret, string userKey, string missionId)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var output = new byte[NonceSize + TagSize + secret.Length];
        nonce.CopyTo(output, 0);
        using var aes = new AesGcm(keys[activeKeyId], TagSize);
        aes.Encrypt(nonce, secret, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Aad(userKey, missionId));
        return activeKeyId + ":" + Convert.ToBase64String(output);
    }

    /// <summary>Decrypts a stored secret.</summary>
    /// <exception cref="CryptographicException">Unknown key id, or the cipher was altered or belongs to another mission.</exception>
    public byte[] Unprotect(string stored, string userKey, string missionId)
    {
        var colon = stored.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !keys.TryGetValue(stored[..colon], out var key))
        {
            throw new CryptographicException("The secret was encrypted with a key that is not configured.");
        }

        var input = Convert.FromBase64String(stored[(colon + 1)..]);
        if (input.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The stored secret is truncated.");
        }

        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plain, Aad(userKey, missionId));
        return plain;
    }

    private static byte[] Aad(string userKey, string missionId) => Encoding.UTF8.GetBytes($"mission-secret|{userKey}|{missionId}");
}
