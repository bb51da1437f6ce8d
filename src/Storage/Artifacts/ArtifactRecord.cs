using Azure;
using Serverless.Storage.Payloads;

namespace Serverless.Storage.Artifacts;

/// <summary>
/// A file of any kind a user keeps (snapshot, recording, diff, log, export, attachment): its metadata, and a reference
/// to its content, stored in a blob under its own folder. The content never changes; the metadata may.
/// </summary>
/// <param name="Id">The artifact id (<see cref="ArtifactStore.NewId"/>): newer ids sort first.</param>
/// <param name="Kind">What it is, e.g. <c>snapshot</c>; lists filter by it.</param>
/// <param name="Name">A display and file name.</param>
/// <param name="Parent">What it belongs to (a thread, run or record, as the client names it), or null; lists filter by it.</param>
/// <param name="Starred">Starred by the user.</param>
/// <param name="ExpiresAt">When retention deletes it, or null for never.</param>
/// <param name="CreatedAt">When it was uploaded.</param>
/// <param name="UpdatedAt">When its metadata last changed.</param>
/// <param name="Content">The content: blob, codec, content type, raw and stored sizes, SHA-256 of the raw bytes.</param>
/// <param name="ETag">The row's version, for <c>If-Match</c> on metadata changes.</param>
public sealed record ArtifactRecord(
    string Id,
    string Kind,
    string Name,
    string? Parent,
    bool Starred,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    PayloadReference Content,
    ETag ETag = default);

/// <summary>Quota held for one upload in flight, from before its content is read until its row commits or it fails.</summary>
/// <param name="Id">The reservation's id in the user's reservation row.</param>
/// <param name="Bytes">The raw bytes reserved: the declared length, or what the quota allowed for a body of unknown length.</param>
public sealed record QuotaReservation(string Id, long Bytes);
