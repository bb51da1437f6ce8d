using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Functions.Api;

/// <summary>Writes every timestamp as ISO-8601 UTC with a <c>Z</c> (the API's convention), and reads any ISO-8601 offset.</summary>
public sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TryGetDateTimeOffset(out var value) ? value.ToUniversalTime() : throw new JsonException("Expected an ISO-8601 date-time.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
}
