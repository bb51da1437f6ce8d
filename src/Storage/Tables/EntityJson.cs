using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>
/// An entity as one JSON object in the Table service's own form (odata=minimalmetadata), with the
/// <c>Name@odata.type</c> annotations each type needs: Int64 (as a string), Double (always, so a
/// whole number stays a double and NaN and infinities survive), DateTime, Guid and Binary. It is the
/// line format of archive segment blobs (so unsealing restores each row exactly), and it sizes a
/// transaction before it is sent (the SDK writes the same JSON).
/// </summary>
public static class EntityJson
{
    /// <summary>Multipart framing, request line and headers of one transaction operation, estimated generously.</summary>
    public const int OperationOverheadBytes = 1024;
    private const string TypeSuffix = "@odata.type";
    private const string DateTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>Serializes an entity, keys included, as one line of JSON.</summary>
    public static byte[] Serialize(TableEntity entity)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, entity);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// About how many bytes <paramref name="entity"/> adds to a transaction's body: its JSON, the operation's
    /// framing, and its keys percent-encoded in the operation's URL (up to 3 bytes a character).
    /// </summary>
    public static long TransactionBytes(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return Serialize(entity).Length + OperationOverheadBytes + (3L * (entity.PartitionKey.Length + entity.RowKey.Length));
    }

    /// <summary>Writes an entity, keys included, as a JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entity);
        writer.WriteStartObject();
        writer.WriteString("PartitionKey", entity.PartitionKey);
        writer.WriteString("RowKey", entity.RowKey);
        foreach (var (name, value) in EntityLimits.CustomProperties(entity))
        {
            WriteProperty(writer, name, value);
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads an entity from a JSON object as the service returns it.</summary>
    /// <exception cref="FormatException">The object is not a valid entity.</exception>
    public static TableEntity Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("An entity must be a JSON object.");
        }

        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.EndsWith(TypeSuffix, StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.String)
            {
                types[property.Name[..^TypeSuffix.Length]] = property.Value.GetString()!;
            }
        }

        string? partitionKey = null, rowKey = null;
        var values = new List<(string, object)>();
        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name;
            switch (name)
            {
                case "PartitionKey":
                    partitionKey = property.Value.GetString();
                    continue;
                case "RowKey":
                    rowKey = property.Value.GetString();
                    continue;
            }

            if (EntityLimits.IsReserved(name))
            {
                continue;
            }

            var value = ReadValue(name, property.Value, types.GetValueOrDefault(name));
            if (value is not null)
            {
                values.Add((name, value));
            }
        }

        if (partitionKey is null || rowKey is null)
        {
            throw new FormatException("The entity has no PartitionKey or RowKey.");
        }

        var entity = new TableEntity(partitionKey, rowKey);
        foreach (var (name, value) in values)
        {
            entity[name] = value;
        }

        return entity;
    }

    private static void WriteProperty(Utf8JsonWriter writer, string name, object value)
    {
        switch (value)
        {
            case string s:
                writer.WriteString(name, s);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            case int i:
                writer.WriteNumber(name, i);
                break;
            case long l:
                writer.WriteString(name + TypeSuffix, "Edm.Int64");
                writer.WriteString(name, l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                writer.WriteString(name + TypeSuffix, "Edm.Double");
                if (double.IsFinite(d))
                {
                    writer.WriteNumber(name, d);
                }
                else
                {
                    writer.WriteString(name, double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                }

                break;
            case DateTimeOffset dto:
                writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                writer.WriteString(name, dto.UtcDateTime.ToString(DateTimeFormat, CultureInfo.InvariantCulture));
                break;
            case Guid g:
                writer.WriteString(name + TypeSuffix, "Edm.Guid");
                writer.WriteString(name, g.ToString("D"));
                break;
            case byte[] bytes:
                writer.WriteString(name + TypeSuffix, "Edm.Binary");
                writer.WriteBase64String(name, bytes);
                break;
            case BinaryData data:
                writer.WriteString(name + TypeSuffix, "Edm.Binary");
                writer.WriteBase64String(name, data.ToMemory().Span);
                break;
            default:
                throw new ArgumentException($"Property '{name}' has type {value.GetType().Name}, which a table cannot store.");
        }
    }

    private static object? ReadValue(string name, JsonElement value, string? edmType)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        try
        {
            return edmType switch
            {
                null => ReadUntyped(name, value),
                "Edm.String" => value.GetString(),
                "Edm.Boolean" => value.GetBoolean(),
                "Edm.Int32" => value.GetInt32(),
                "Edm.Int64" => value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : value.GetInt64(),
                "Edm.Double" => value.ValueKind == JsonValueKind.String ? ParseDoubleText(value.GetString()!) : value.GetDouble(),
                "Edm.DateTime" => ParseDateTime(value.GetString()!, name),
                "Edm.Guid" => Guid.Parse(value.GetString()!, CultureInfo.InvariantCulture),
                "Edm.Binary" => value.GetBytesFromBase64(),
                _ => throw new FormatException($"Property '{name}' has unknown type '{edmType}'."),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new FormatException($"Property '{name}' does not hold a valid {edmType ?? "value"}.", e);
        }
    }

    private static object ReadUntyped(string name, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when value.TryGetInt32(out var i) => i,
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => value.GetDouble(),
        _ => throw new FormatException($"Property '{name}' holds a JSON {value.ValueKind}, which is not a table value."),
    };

    private static double ParseDoubleText(string text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" or "INF" => double.PositiveInfinity,
        "-Infinity" or "-INF" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset ParseDateTime(string text, string name) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : throw new FormatException($"Property '{name}' is not a valid Edm.DateTime.");
}
