using System.Security.Cryptography;
using System.Text;

namespace Serverless.Functions.Secrets;

/// <summary>
/// The app's one keyring for secrets at rest (mission signing secrets, integration secrets): AES-256-GCM under a key id
/// from configuration (<c>Missions:SecretKeys:&lt;keyId&gt;</c>, <c>Missions:ActiveSecretKeyId</c>; the names predate
/// integrations and stay for compatibility). The stored form is <c>{keyId}:{base64(nonce|tag|ciphertext)}</c>: new
/// secrets are encrypted with the active key, and any configured key decrypts what it encrypted, so rotating is adding a
/// key, making it active, and letting readers re-encrypt lazily (<see cref="IsCurrent"/>) before the old key is removed.
/// The caller's associated data binds a cipher to its place: copied elsewhere, it does not decrypt.
/// </summary>
public class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> keys = new(StringComparer.Ordinal);
    private readonly string activeKeyId;

    /// <summary>
    /// Loads the keys. In Development with none configured, the key is derived from the development token signing key
    /// (<see cref="DevelopmentKey"/>), so secrets stay readable across restarts of a local run whose Azurite data persists.
    /// </summary>
    /// <param name="configuredKeys">Key id → base64 of 32 bytes (<c>Missions:SecretKeys</c>); empty values are unset slots.</param>
    /// <param name="activeKeyId">The key id that encrypts (<c>Missions:ActiveSecretKeyId</c>).</param>
    /// <param name="environment">The host environment; only Development may go without configured keys.</param>
    /// <param name="developmentSigningKey"><c>Auth:Development:SigningKey</c>, the input of the development key.</param>
    /// <exception cref="InvalidOperationException">The keys are missing or malformed.</exception>
    public SecretProtector(IReadOnlyDictionary<string, string> configuredKeys, string? activeKeyId, IHostEnvironment environment, string? developmentSigningKey = null)
    {
        ArgumentNullException.ThrowIfNull(configuredKeys);
        ArgumentNullException.ThrowIfNull(environment);
        foreach (var (id, value) in configuredKeys)
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
            if (string.IsNullOrEmpty(developmentSigningKey) || developmentSigningKey.Length < 32)
            {
                throw new InvalidOperationException(
                    "In Development without Missions:SecretKeys, secrets are encrypted under a key derived from Auth:Development:SigningKey (at least 32 characters): set one of them.");
            }

            (this.activeKeyId, var derived) = DevelopmentKey(developmentSigningKey);
            keys[this.activeKeyId] = derived;
            return;
        }

        this.activeKeyId = activeKeyId is { } active && keys.ContainsKey(active)
            ? active
            : throw new InvalidOperationException("Missions:ActiveSecretKeyId must name one of Missions:SecretKeys (base64 of 32 bytes each).");
    }

    /// <summary>The key id new secrets are encrypted with.</summary>
    public string ActiveKeyId => activeKeyId;

    /// <summary>
    /// The development key: HKDF-SHA256 of the development signing key, under a key id that carries a fingerprint of
    /// the derived key, so that secrets written under another signing key fail as "key not configured", by name.
    /// </summary>
    /// <remarks>
    /// Derived rather than random: a random key would live only as long as the process while Azurite's data persists,
    /// and every mission would stop firing after a restart. Derived rather than stored: storing it would need a row
    /// of its own for a key that guards only a laptop. The signing key is no secret, and neither is this key.
    /// (The derivation's label still says "mission-secret": changing it would orphan existing development data.)
    /// </remarks>
    public static (string KeyId, byte[] Key) DevelopmentKey(string developmentSigningKey)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(developmentSigningKey), 32, salt: [], info: "serverless mission-secret development key v1"u8.ToArray());
        return ("dev-" + Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 4)), key);
    }

    /// <summary>The key id a stored cipher names (empty when it names none).</summary>
    public static string KeyIdOf(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var colon = stored.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? stored[..colon] : string.Empty;
    }

    /// <summary>Whether <paramref name="stored"/> is encrypted with the active key (false: re-encrypt it when convenient).</summary>
    public bool IsCurrent(string stored) => KeyIdOf(stored) == activeKeyId;

    /// <summary>Encrypts <paramref name="secret"/> with the active key, bound to <paramref name="associatedData"/>.</summary>
    public string Protect(ReadOnlySpan<byte> secret, string associatedData)
    {
        ArgumentNullException.ThrowIfNull(associatedData);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var output = new byte[NonceSize + TagSize + secret.Length];
        nonce.CopyTo(output, 0);
        using var aes = new AesGcm(keys[activeKeyId], TagSize);
        aes.Encrypt(nonce, secret, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(associatedData));
        return activeKeyId + ":" + Convert.ToBase64String(output);
    }

    /// <summary>Decrypts a stored secret that was bound to <paramref name="associatedData"/>.</summary>
    /// <exception cref="CryptographicException">Unknown key id, or the cipher was altered or belongs elsewhere; the message says which, never the value.</exception>
    public byte[] Unprotect(string stored, string associatedData)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(associatedData);
        var keyId = KeyIdOf(stored);
        if (!keys.TryGetValue(keyId, out var key))
        {
            throw new CryptographicException($"it was encrypted with key '{keyId}', which is not configured");
        }

        byte[] input;
        try
        {
            input = Convert.FromBase64String(stored[(keyId.Length + 1)..]);
        }
        catch (FormatException)
        {
            input = [];
        }

        if (input.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("the stored cipher is malformed");
        }

        var plain = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        try
        {
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(associatedData));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new CryptographicException($"it does not decrypt with key '{keyId}' (the key was changed, or the cipher altered)");
        }

        return plain;
    }

    /// <summary>Whether <paramref name="stored"/> decrypts with the configured keys.</summary>
    public bool CanUnprotect(string stored, string associatedData)
    {
        try
        {
            Unprotect(stored, associatedData);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
