using Azure;

namespace Serverless.Storage.Conversations;

/// <summary>One conversation thread as stored in its <c>thread|{id}</c> row.</summary>
/// <param name="Id">The thread id.</param>
/// <param name="Title">The title, or null.</param>
/// <param name="MetadataJson">A JSON object of client metadata, or null.</param>
/// <param name="Starred">Whether the user starred it.</param>
/// <param name="Archived">Whether the user archived it.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="UpdatedAt">When its row last changed (UTC).</param>
/// <param name="LastActivityAt">When a message was last appended, else its creation; strictly increasing per thread.</param>
/// <param name="DeletedAt">When it was soft-deleted, or null.</param>
/// <param name="MessageCount">Its own messages (not inherited from a fork parent) that are not deleted.</param>
/// <param name="NextSequence">The sequence number the next appended message gets.</param>
/// <param name="PromptTokens">Prompt tokens of its own messages, summed.</param>
/// <param name="CompletionTokens">Completion tokens of its own messages, summed.</param>
/// <param name="Cost">Cost of its own messages, summed.</param>
/// <param name="SealedThrough">
/// The last of its own sequence numbers sealed into archive segments: its own messages from
/// <see cref="ThreadLineage.FirstOwnSequence"/> up to this live in segment blobs, not rows.
/// Below the first own sequence number, nothing is sealed.
/// </param>
/// <param name="Lineage">Where its inherited messages come from (empty unless it is a fork).</param>
/// <param name="ETag">The thread row's version.</param>
public sealed record ThreadRecord(
    string Id,
    string? Title,
    string? MetadataJson,
    bool Starred,
    bool Archived,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset LastActivityAt,
    DateTimeOffset? DeletedAt,
    long MessageCount,
    long NextSequence,
    long PromptTokens,
    long CompletionTokens,
    double Cost,
    long SealedThrough,
    ThreadLineage Lineage,
    ETag ETag)
{
    /// <summary>Whether it is soft-deleted.</summary>
    public bool IsDeleted => DeletedAt is not null;

    /// <summary>
    /// When retention began purging it (after its restore window), or null. A purged thread is never restored or
    /// changed again; its row stays only while forks still read some of its messages (the rest are gone).
    /// </summary>
    public DateTimeOffset? PurgedAt { get; init; }

    /// <summary>Whether its own message <paramref name="sequence"/> lives in an archive segment rather than a row.</summary>
    public bool IsSealed(long sequence) => sequence >= Lineage.FirstOwnSequence && sequence <= SealedThrough;

    /// <summary>Whether some of its own messages are sealed.</summary>
    public bool HasSealed => SealedThrough >= Lineage.FirstOwnSequence;

    /// <summary>A new thread row's content (no ETag yet).</summary>
    public static ThreadRecord New(string id, string? title, string? metadataJson, bool starred, bool archived, DateTimeOffset now, ThreadLineage lineage) =>
        new(id, title, metadataJson, starred, archived, now, now, now, null, 0, lineage.FirstOwnSequence, 0, 0, 0, 0, lineage, default);
}
