using Azure;
using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>
/// The Table service's size limits, checked before sending so that Azure and Azurite (which
/// enforces only some of them) fail the same way, with the service's own status and error codes.
/// </summary>
public static class EntityLimits
{
    /// <summary>An entity's size as the service counts it, at most 1 MiB.</summary>
    public const int MaxEntityBytes = 1024 * 1024;

    /// <summary>A string property holds at most 64 KiB of UTF-16, i.e. 32,768 characters.</summary>
    public const int MaxStringChars = 32 * 1024;

    /// <summary>A binary property holds at most 64 KiB.</summary>
    public const int MaxBinaryBytes = 64 * 1024;

    /// <summary>255 properties including PartitionKey, RowKey and Timestamp leaves 252 of our own.</summary>
    public const int MaxCustomProperties = 252;

    /// <summary>A transaction's request body is below 4 MiB.</summary>
    public const int MaxTransactionBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The properties a write stores: every property but the keys, the ETag and the timestamp (which the
    /// SDK's <see cref="TableEntity"/> keeps in the same dictionary), and without null values (absent).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, object>> CustomProperties(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return entity.Where(p => p.Value is not null && !IsReserved(p.Key));
    }

    /// <summary>Whether a name is one of the service's own (keys, timestamp, OData annotations) rather than a stored property.</summary>
    public static bool IsReserved(string name) =>
        name is "PartitionKey" or "RowKey" or "Timestamp" || name.StartsWith("odata.", StringComparison.Ordinal) || name.Contains('@', StringComparison.Ordinal);

    /// <summary>
    /// The entity's size by the service's published formula: 4 bytes, plus both keys as UTF-16,
    /// plus per property 8 bytes, its name as UTF-16 and its value's size.
    /// </summary>
    public static long SizeOf(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        long size = 4 + (((entity.PartitionKey?.Length ?? 0) + (entity.RowKey?.Length ?? 0)) * 2);
        foreach (var (name, value) in CustomProperties(entity))
        {
            size += 8 + (name.Length * 2) + value switch
            {
                string s => 4 + (s.Length * 2),
                byte[] b => 4 + b.Length,
                BinaryData d => 4 + d.ToMemory().Length,
                bool => 1,
                int => 4,
                Guid => 16,
                _ => 8,
            };
        }

        return size;
    }

    /// <summary>Throws the service's own 400 error for an entity it would refuse.</summary>
    /// <exception cref="RequestFailedException">400 KeyValueTooLarge, TooManyProperties, PropertyValueTooLarge or EntityTooLarge.</exception>
    public static void Check(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (entity.PartitionKey is null || entity.RowKey is null)
        {
            throw new ArgumentException("An entity needs a PartitionKey and a RowKey.", nameof(entity));
        }

        if (entity.PartitionKey.Length > KeyEncoding.MaxKeyLength || entity.RowKey.Length > KeyEncoding.MaxKeyLength)
        {
            throw Refused("KeyValueTooLarge", $"keys hold at most {KeyEncoding.MaxKeyLength} characters");
        }

        var count = 0;
        foreach (var (name, value) in CustomProperties(entity))
        {
            count++;
            if (value is string s && s.Length > MaxStringChars || value is byte[] b && b.Length > MaxBinaryBytes)
            {
                throw Refused("PropertyValueTooLarge", $"property '{name}' exceeds 64 KiB");
            }
        }

        if (count > MaxCustomProperties)
        {
            throw Refused("TooManyProperties", $"{count} properties; at most {MaxCustomProperties}");
        }

        var size = SizeOf(entity);
        if (size > MaxEntityBytes)
        {
            throw Refused("EntityTooLarge", $"the entity is {size} bytes; at most {MaxEntityBytes}");
        }
    }

    /// <summary>The exception the service would answer with, built before sending.</summary>
    internal static RequestFailedException Refused(string errorCode, string why, int status = 400) =>
        new(status, $"The Table service would refuse this write ({errorCode}): {why}.", errorCode, null);
}
