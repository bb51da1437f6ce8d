using System.Collections;
using Azure;

namespace Serverless.Storage.Tables;

/// <summary>
/// One table row: its keys, its ETag and a bag of typed properties. Property values are limited
/// to the types the Table service stores: <see cref="string"/>, <see cref="bool"/>, <see cref="int"/>,
/// <see cref="long"/>, <see cref="double"/>, <see cref="DateTimeOffset"/> (UTC), <see cref="Guid"/>
/// and <see cref="byte"/> arrays. Setting a property to <c>null</c> removes it.
/// </summary>
public sealed class TableEntity : IEnumerable<KeyValuePair<string, object>>
{
    private readonly Dictionary<string, object> properties = new(StringComparer.Ordinal);

    /// <summary>Creates an entity with the given (already encoded) keys.</summary>
    public TableEntity(string partitionKey, string rowKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    /// <summary>The partition key, as stored (see <see cref="KeyEncoding"/>).</summary>
    public string PartitionKey { get; }

    /// <summary>The row key, as stored (see <see cref="KeyEncoding"/>).</summary>
    public string RowKey { get; }

    /// <summary>The service's version tag for optimistic concurrency; empty for an entity not read from storage.</summary>
    public ETag ETag { get; set; }

    /// <summary>The service's last-modified time, when the entity was read from storage.</summary>
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary>The number of custom properties (keys, ETag and Timestamp excluded).</summary>
    public int Count => properties.Count;

    /// <summary>The custom properties.</summary>
    public IReadOnlyDictionary<string, object> Properties => properties;

    /// <summary>Gets or sets a property; <c>null</c> means absent.</summary>
    /// <exception cref="ArgumentException">The name is reserved or the value's type cannot be stored.</exception>
    public object? this[string name]
    {
        get => properties.GetValueOrDefault(name);
        set
        {
            ValidateName(name);
            if (value is null)
            {
                properties.Remove(name);
                return;
            }

            properties[name] = Normalize(name, value);
        }
    }

    /// <summary>Reads a string property.</summary>
    public string? GetString(string name) => Get<string>(name);

    /// <summary>Reads a boolean property.</summary>
    public bool? GetBoolean(string name) => properties.TryGetValue(name, out var v) ? (bool)Expect<bool>(name, v) : null;

    /// <summary>Reads a 32-bit integer property.</summary>
    public int? GetInt32(string name) => properties.TryGetValue(name, out var v) ? (int)Expect<int>(name, v) : null;

    /// <summary>Reads a 64-bit integer property; a stored 32-bit integer widens.</summary>
    public long? GetInt64(string name) => properties.TryGetValue(name, out var v)
        ? v switch { long l => l, int i => i, _ => (long)Expect<long>(name, v) }
        : null;

    /// <summary>Reads a double property; stored integers widen.</summary>
    public double? GetDouble(string name) => properties.TryGetValue(name, out var v)
        ? v switch { double d => d, int i => i, long l => l, _ => (double)Expect<double>(name, v) }
        : null;

    /// <summary>Reads a date-time property (always UTC).</summary>
    public DateTimeOffset? GetDateTimeOffset(string name) => properties.TryGetValue(name, out var v) ? (DateTimeOffset)Expect<DateTimeOffset>(name, v) : null;

    /// <summary>Reads a GUID property.</summary>
    public Guid? GetGuid(string name) => properties.TryGetValue(name, out var v) ? (Guid)Expect<Guid>(name, v) : null;

    /// <summary>Reads a binary property.</summary>
    public byte[]? GetBinary(string name) => Get<byte[]>(name);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds a property (collection-initializer support); same rules as the indexer.</summary>
    public void Add(string name, object? value) => this[name] = value;

    private T? Get<T>(string name)
        where T : class => properties.TryGetValue(name, out var v) ? (T)Expect<T>(name, v) : null;

    private static object Expect<T>(string name, object value) => value is T
        ? value
        : throw new InvalidCastException($"Property '{name}' holds a {value.GetType().Name}, not a {typeof(T).Name}.");

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag" || name.Contains('@', StringComparison.Ordinal) || name.Length > 255)
        {
            throw new ArgumentException($"'{name}' cannot be used as a property name: it is reserved, longer than 255 characters or contains '@'.", nameof(name));
        }
    }

    private static object Normalize(string name, object value) => value switch
    {
        string or bool or int or long or double or Guid or byte[] => value,
        DateTimeOffset dto => dto.ToUniversalTime(),
        DateTime dt => new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime()),
        _ => throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which a table cannot store.", nameof(value)),
    };
}
