using Serverless.Storage.Http;

namespace Serverless.Storage.Tables;

/// <summary>
/// The Table service's size limits, checked before sending so that Azure and Azurite (which
/// enforces only some of them) fail the same way, with the same error codes as the service.
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
    /// The entity's size by the service's published formula: 4 bytes, plus both keys as UTF-16,
    /// plus per property 8 bytes, its name as UTF-16 and its value's size.
    /// </summary>
    public static long SizeOf(TableEntity entity)
    {
        long size = 4 + ((entity.PartitionKey.Length + entity.RowKey.Length) * 2);
        foreach (var (name, value) in entity)
        {
            size += 8 + (name.Length * 2) + value switch
            {
                string s => 4 + (s.Length * 2),
                byte[] b => 4 + b.Length,
                bool => 1,
                int => 4,
                Guid => 16,
                _ => 8,
            };
        }

        return size;
    }

    /// <summary>Throws the service's own 400 error for an entity it would refuse.</summary>
    /// <exception cref="StorageException">400 PropertyValueTooLarge, TooManyProperties or EntityTooLarge.</exception>
    public static void Check(TableEntity entity, string operation)
    {
        if (entity.PartitionKey.Length > KeyEncoding.MaxKeyLength || entity.RowKey.Length > KeyEncoding.MaxKeyLength)
        {
            throw StorageErrors.Create(400, "KeyValueTooLarge", $"keys hold at most {KeyEncoding.MaxKeyLength} characters", operation, wasRetried: false);
        }

        if (entity.Count > MaxCustomProperties)
        {
            throw StorageErrors.Create(400, "TooManyProperties", $"{entity.Count} properties; at most {MaxCustomProperties}", operation, wasRetried: false);
        }

        foreach (var (name, value) in entity)
        {
            if (value is string s && s.Length > MaxStringChars || value is byte[] b && b.Length > MaxBinaryBytes)
            {
                throw StorageErrors.Create(400, "PropertyValueTooLarge", $"property '{name}' exceeds 64 KiB", operation, wasRetried: false);
            }
        }

        var size = SizeOf(entity);
        if (size > MaxEntityBytes)
        {
            throw StorageErrors.Create(400, "EntityTooLarge", $"the entity is {size} bytes; at most {MaxEntityBytes}", operation, wasRetried: false);
        }
    }
}
