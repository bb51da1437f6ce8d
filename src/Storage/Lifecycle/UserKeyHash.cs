using System.Security.Cryptography;
using System.Text;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// A keyed one-way hash of user keys (HMAC-SHA256 under a deployment secret, lower-case hex): what names an erasure job,
/// its receipt and a user's pending lifecycle jobs outside the user partition. An unkeyed hash would not do: user ids
/// are often guessable (an email address), and anyone could hash a guess and find its receipt; without the key a
/// hash says nothing of who it belongs to, and with it there is still no way back from a hash to the user.
/// </summary>
public sealed class UserKeyHash
{
    /// <summary>The shortest key accepted, in bytes.</summary>
    public const int MinKeyBytes = 32;

    private readonly byte[] key;

    /// <summary>A hash under <paramref name="key"/>, which must stay the same for as long as receipts are to be found again.</summary>
    /// <exception cref="ArgumentException">The key is shorter than <see cref="MinKeyBytes"/>.</exception>
    public UserKeyHash(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"The key must be at least {MinKeyBytes} bytes.", nameof(key));
        }

        this.key = key.ToArray();
    }

    /// <summary>The hash of <paramref name="user"/>'s partition key.</summary>
    public string Of(UserPartition user) => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(user.Key)));
}
