using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Serverless.Bundles;

/// <summary>The manifest of a bundle (<c>manifest.json</c>).</summary>
/// <param name="Format">Always <see cref="BundleFormat.Name"/>.</param>
/// <param name="Version">The format version.</param>
/// <param name="CreatedAt">When the bundle was made.</param>
/// <param name="Source">Who made it.</param>
/// <param name="Kinds">One entry per kind file.</param>
/// <param name="Blobs">One entry per blob file.</param>
public sealed record BundleManifest(
    string Format,
    int Version,
    DateTimeOffset CreatedAt,
    BundleSource Source,
    IReadOnlyList<BundleKindEntry> Kinds,
    IReadOnlyList<BundleBlobEntry> Blobs)
{
    /// <summary>
    /// The strict JSON options of manifests and of lines: camelCase, unknown members refused, a member whose type is not
    /// nullable required and never null; a nullable member optional (absent reads as null), as the format says.
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new BundleTimestampConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { NullableMembersAreOptional } },
    };

    /// <summary>Required constructor parameters stay required only when null is not a legal value for them.</summary>
    private static void NullableMembersAreOptional(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            if (property.IsRequired && property.AssociatedParameter is { IsNullable: true })
            {
                property.IsRequired = false;
            }
        }
    }

    /// <summary>The entry of <paramref name="kind"/>, or null.</summary>
    public BundleKindEntry? Kind(string kind) => Kinds.FirstOrDefault(k => k.Kind == kind);
}

/// <summary>Who made a bundle.</summary>
/// <param name="App">The maker: <c>serverless-backend</c> for exports, an importer's name otherwise.</param>
/// <param name="Version">Its version, free text, optional.</param>
public sealed record BundleSource(string App, string? Version = null);

/// <summary>One kind file of a bundle.</summary>
/// <param name="Kind">The kind, e.g. <c>message</c>.</param>
/// <param name="File">Its entry, <c>kinds/{kind}.ndjson</c>.</param>
/// <param name="Count">Its lines.</param>
/// <param name="Bytes">Its length.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of its bytes.</param>
public sealed record BundleKindEntry(string Kind, string File, long Count, long Bytes, string Sha256);

/// <summary>One blob file of a bundle.</summary>
/// <param name="File">Its entry, <c>blobs/{sha256}</c>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of its bytes (its name).</param>
/// <param name="Bytes">Its length.</param>
public sealed record BundleBlobEntry(string File, string Sha256, long Bytes);

/// <summary>Writes timestamps as bundles do (<see cref="BundleFormat.Timestamp"/>); reads any ISO-8601 offset, as UTC.</summary>
public sealed class BundleTimestampConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value) ? value.ToUniversalTime() : throw new JsonException("Expected an ISO-8601 timestamp.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(BundleFormat.Timestamp(value));
    }
}
