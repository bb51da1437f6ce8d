using Serverless.Storage.Tables;

namespace Serverless.Storage.Users;

/// <summary>
/// The partition that holds every row of one user: the user id from the validated identity,
/// encoded with <see cref="KeyEncoding"/> so that any id is a legal PartitionKey.
/// </summary>
public readonly record struct UserPartition
{
    /// <summary>The longest user id we accept, in characters (JWT <c>sub</c> values are far shorter).</summary>
    public const int MaxUserIdLength = 256;

    private UserPartition(string userId, string key)
    {
        UserId = userId;
        Key = key;
    }

    /// <summary>The user id as the identity provider gave it.</summary>
    public string UserId { get; }

    /// <summary>The encoded PartitionKey.</summary>
    public string Key { get; }

    /// <summary>The partition of <paramref name="userId"/>.</summary>
    /// <exception cref="ArgumentException">The id is empty or longer than <see cref="MaxUserIdLength"/>.</exception>
    public static UserPartition For(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        if (userId.Length > MaxUserIdLength)
        {
            throw new ArgumentException($"A user id holds at most {MaxUserIdLength} characters.", nameof(userId));
        }

        return new UserPartition(userId, KeyEncoding.EncodeKey(userId));
    }

    /// <summary>The partition whose encoded key is <paramref name="key"/> (as index rows and blob names carry it).</summary>
    /// <exception cref="FormatException">The text is not an encoded user id.</exception>
    public static UserPartition FromKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var partition = For(KeyEncoding.Decode(key));
        return partition.Key == key ? partition : throw new FormatException("The text is not the encoding of a user id.");
    }

    /// <inheritdoc />
    public override string ToString() => Key;
}
