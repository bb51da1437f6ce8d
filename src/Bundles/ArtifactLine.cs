using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Bundles;

/// <summary>
/// A line of <c>kinds/artifact.ndjson</c>: an artifact's metadata (the API's shape) and its raw content as a blob file.
/// The members after <paramref name="CreatedAt"/> may be left out (the command-line importers write
/// <c>{id, kind, name, contentType, contentFile, parent, starred, createdAt}</c>); the server's exports write them all.
/// </summary>
/// <param name="Id">The artifact id (the server's shape: 19 digits of inverted ticks, '-', 8 hex digits; another id gets a new one on import).</param>
/// <param name="Kind">What it is: snapshot, recording, diff, log, export, attachment or another kind name.</param>
/// <param name="Name">Its name (the download's file name).</param>
/// <param name="ContentType">The content type served back on download.</param>
/// <param name="ContentFile">The blob file holding the raw content (<c>blobs/{sha256}</c> of the raw bytes).</param>
/// <param name="CreatedAt">When it was uploaded.</param>
/// <param name="Bytes">The raw content's length (the blob file's length); left out, the blob file's.</param>
/// <param name="Parent">What it belongs to (e.g. <c>thread:t1</c>), or null.</param>
/// <param name="Starred">Starred (a starred artifact does not expire); left out, false.</param>
/// <param name="ExpiresAt">When retention deletes it (a timestamp), <c>null</c> for never; left out, the kind's default counted from the import (a snapshot's 30 days).</param>
/// <param name="UpdatedAt">When its metadata last changed; left out, <paramref name="CreatedAt"/>.</param>
public sealed record ArtifactLine(
    string Id,
    string Kind,
    string Name,
    string ContentType,
    string ContentFile,
    DateTimeOffset CreatedAt,
    long? Bytes = null,
    string? Parent = null,
    bool? Starred = null,
    JsonElement ExpiresAt = default,
    DateTimeOffset? UpdatedAt = null)
{
    /// <summary>Whether the line leaves the expiry out (the kind's default applies), as opposed to <c>null</c> (never) or a time.</summary>
    [JsonIgnore]
    public bool HasDefaultExpiry => ExpiresAt.ValueKind == JsonValueKind.Undefined;

    /// <summary>The expiry the line gives: a time, or null for never or left out (<see cref="HasDefaultExpiry"/>); throws <see cref="FormatException"/> for another value.</summary>
    [JsonIgnore]
    public DateTimeOffset? ExpiryTime => ExpiresAt.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        JsonValueKind.String when ExpiresAt.TryGetDateTimeOffset(out var at) => at.ToUniversalTime(),
        _ => throw new FormatException("expiresAt must be an ISO 8601 date and time, or null for never."),
    };

    /// <summary>The <see cref="ExpiresAt"/> member for a time, or for never (null).</summary>
    public static JsonElement Expiry(DateTimeOffset? at) =>
        at is { } value ? JsonSerializer.SerializeToElement(BundleFormat.Timestamp(value)) : JsonSerializer.SerializeToElement<object?>(null);
}
