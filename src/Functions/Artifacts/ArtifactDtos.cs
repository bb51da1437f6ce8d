using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Serverless.Functions.Api;
using Serverless.Storage.Artifacts;

namespace Serverless.Functions.Artifacts;

/// <summary>An artifact's metadata as the API returns it (its content is at <c>/api/v1/artifacts/{id}/content</c>).</summary>
/// <param name="Id">The artifact id.</param>
/// <param name="Kind">What it is: <c>snapshot</c>, <c>recording</c>, <c>diff</c>, <c>log</c>, <c>export</c>, <c>attachment</c> or another kind name.</param>
/// <param name="Name">Its name (the download's file name).</param>
/// <param name="ContentType">The content type it was uploaded with, served back on download.</param>
/// <param name="Bytes">The content's length.</param>
/// <param name="StoredBytes">What the content takes in storage (compressed, for types that compress).</param>
/// <param name="StoredEncoding">How it is stored: <c>br</c> (a client accepting br can download these bytes as they are) or <c>identity</c>.</param>
/// <param name="Sha256">SHA-256 of the content, 64 lower-case hex digits.</param>
/// <param name="Parent">What it belongs to (a thread, run or record, as the client named it), or null.</param>
/// <param name="Starred">Starred; a starred artifact does not expire.</param>
/// <param name="ExpiresAt">When retention deletes it, or null for never.</param>
/// <param name="CreatedAt">When it was uploaded (UTC).</param>
/// <param name="UpdatedAt">When its metadata last changed (UTC).</param>
public sealed record ArtifactView(
    string Id,
    string Kind,
    string Name,
    string ContentType,
    long Bytes,
    long StoredBytes,
    string StoredEncoding,
    string Sha256,
    string? Parent,
    bool Starred,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Maps a stored record to its API view.</summary>
    public static ArtifactView From(ArtifactRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var content = record.Content;
        return new ArtifactView(
            record.Id, record.Kind, record.Name, content.ContentType, content.RawBytes, content.StoredBytes,
            ArtifactStore.IsStoredAsIs(record) ? "identity" : "br", content.Sha256, record.Parent, record.Starred, record.ExpiresAt, record.CreatedAt, record.UpdatedAt);
    }
}

/// <summary>The body of <c>PATCH /api/v1/artifacts/{id}</c>: any of the fields; absent ones stay, unknown ones are refused.</summary>
/// <param name="Name">A new name (1 to 255 characters, no control characters).</param>
/// <param name="Starred">Star (its expiry is removed) or unstar (the kind's default expiry is restored: snapshots expire 30 days after upload, other kinds never).</param>
/// <param name="ExpiresAt">A future time (ISO 8601) when retention deletes it, or null for never; not together with a star.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ArtifactPatch(string? Name, bool? Starred, JsonElement ExpiresAt) : IBindableFromHttpContext<ArtifactPatch>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<ArtifactPatch?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<ArtifactPatch>(context.Request, context.RequestAborted);
}
