using System.Security.Cryptography;
using System.Text;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>Where the key of the users' keyed hashes (<see cref="UserKeyHash"/>) comes from.</summary>
public static class ReceiptKeys
{
    /// <summary>
    /// The hash under <c>Lifecycle:ReceiptKey</c>; in Development without one, under a key derived from the development
    /// signing key (as the mission secrets' development key is), so receipts stay findable across restarts of a local run.
    /// </summary>
    /// <exception cref="InvalidOperationException">The key is missing outside Development, or malformed.</exception>
    public static UserKeyHash Hash(string? configured, IHostEnvironment environment, string? developmentSigningKey)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(configured);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException("Lifecycle:ReceiptKey is not valid base64.");
            }

            return key.Length >= UserKeyHash.MinKeyBytes
                ? new UserKeyHash(key)
                : throw new InvalidOperationException($"Lifecycle:ReceiptKey must decode to at least {UserKeyHash.MinKeyBytes} bytes.");
        }

        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException("Lifecycle:ReceiptKey is required (base64 of at least 32 bytes, the same on every instance and kept for as long as erasure receipts are).");
        }

        if (string.IsNullOrEmpty(developmentSigningKey) || developmentSigningKey.Length < 32)
        {
            throw new InvalidOperationException("In Development without Lifecycle:ReceiptKey, the key is derived from Auth:Development:SigningKey (at least 32 characters): set one of them.");
        }

        return new UserKeyHash(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(developmentSigningKey), 32, salt: [], info: "serverless erasure-receipt development key v1"u8.ToArray()));
    }
}
