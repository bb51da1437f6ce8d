using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Serverless.Bundles;

/// <summary>
/// Secrets sealed under a passphrase the user supplies, so that a bundle (a file users keep and move around) never holds
/// a secret anyone can read without it. Form (version 1): <c>sealed.v1:{iterations}:{salt}:{nonce}:{tag}:{ciphertext}</c>,
/// each part base64: the key is PBKDF2-SHA256 of the passphrase (UTF-8) with the 16-byte salt and the iterations named
/// (600,000 when sealing), 32 bytes; the value (UTF-8) is encrypted with AES-256-GCM (12-byte nonce, 16-byte tag) bound to
/// associated data <c>serverless-bundle integration-secret|{provider}|{name}</c>, so a sealed value moved to another
/// secret does not open. One instance seals with one salt (one derivation per bundle part) and opens with a key per
/// salt it meets (cached), so a bundle costs one derivation, not one per secret.
/// </summary>
public sealed class SecretSealing
{
    /// <summary>The prefix of a sealed value of version 1.</summary>
    public const string Prefix = "sealed.v1:";

    /// <summary>PBKDF2 iterations when sealing (OWASP's figure for PBKDF2-HMAC-SHA256).</summary>
    public const int Iterations = 600_000;

    /// <summary>The most iterations a sealed value may ask an opener to run (beyond that a bundle could stall an import).</summary>
    public const int MaxIterations = 10_000_000;

    /// <summary>The shortest passphrase accepted.</summary>
    public const int MinPassphraseChars = 12;

    /// <summary>The longest passphrase accepted.</summary>
    public const int MaxPassphraseChars = 1024;

    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeySize = 32;

    private readonly string passphrase;
    private readonly Dictionary<(string Salt, int Iterations), byte[]> keys = [];
    private byte[]? sealSalt;

    /// <summary>Seals and opens with <paramref name="passphrase"/>.</summary>
    public SecretSealing(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        this.passphrase = passphrase;
    }

    /// <summary>
    /// Whether <paramref name="passphrase"/> is acceptable: 12 to 1,024 printable ASCII characters (an import takes it in
    /// an HTTP header, which carries nothing else reliably).
    /// </summary>
    public static bool IsPassphrase(string? passphrase) =>
        passphrase is { Length: >= MinPassphraseChars and <= MaxPassphraseChars } && passphrase.All(c => c is >= '\x20' and <= '\x7E');

    /// <summary>Whether <paramref name="text"/> has the form of a sealed value (it may still not open).</summary>
    public static bool IsSealed(string? text) => Parse(text) is not null;

    /// <summary>Seals <paramref name="value"/>, secret <paramref name="name"/> of integration <paramref name="provider"/>.</summary>
    public string Seal(string value, string provider, string name)
    {
        ArgumentNullException.ThrowIfNull(value);
        sealSalt ??= RandomNumberGenerator.GetBytes(SaltSize);
        var key = KeyFor(sealSalt, Iterations);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var plain = Encoding.UTF8.GetBytes(value);
        var cipher = new byte[plain.Length];
        var tag = new byte[TagSize];
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, plain, cipher, tag, Aad(provider, name));
        }

        return string.Join(':', Prefix[..^1], Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(sealSalt),
            Convert.ToBase64String(nonce), Convert.ToBase64String(tag), Convert.ToBase64String(cipher));
    }

    /// <summary>Opens a sealed value; false when it does not open with this passphrase (or was moved from another secret).</summary>
    public bool TryOpen(string sealedValue, string provider, string name, out string value)
    {
        value = string.Empty;
        if (Parse(sealedValue) is not { } parts)
        {
            return false;
        }

        var plain = new byte[parts.Cipher.Length];
        try
        {
            using var aes = new AesGcm(KeyFor(parts.Salt, parts.Iterations), TagSize);
            aes.Decrypt(parts.Nonce, parts.Cipher, parts.Tag, plain, Aad(provider, name));
            value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plain);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private byte[] KeyFor(byte[] salt, int iterations)
    {
        var id = (Convert.ToBase64String(salt), iterations);
        if (!keys.TryGetValue(id, out var key))
        {
            keys[id] = key = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, iterations, HashAlgorithmName.SHA256, KeySize);
        }

        return key;
    }

    private static byte[] Aad(string provider, string name) => Encoding.UTF8.GetBytes($"serverless-bundle integration-secret|{provider}|{name}");

    private static (int Iterations, byte[] Salt, byte[] Nonce, byte[] Tag, byte[] Cipher)? Parse(string? text)
    {
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = text[Prefix.Length..].Split(':');
        if (parts.Length != 5 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations is < Iterations or > MaxIterations)
        {
            return null;
        }

        try
        {
            var (salt, nonce, tag, cipher) = (Convert.FromBase64String(parts[1]), Convert.FromBase64String(parts[2]), Convert.FromBase64String(parts[3]), Convert.FromBase64String(parts[4]));
            return salt.Length == SaltSize && nonce.Length == NonceSize && tag.Length == TagSize ? (iterations, salt, nonce, tag, cipher) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
