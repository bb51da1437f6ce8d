using Azure;

namespace Serverless.Storage.Records;

/// <summary>A stored record: a JSON document in a collection, with an indexed status and parent, counters and an optional expiry.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="Id">The id within the collection.</param>
/// <param name="DataJson">The document.</param>
/// <param name="Status">The indexed status, or null.</param>
/// <param name="ParentId">The parent record (same collection), or null.</param>
/// <param name="Counters">Counters by name.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="ExpiresAt">When it expires, or null.</param>
/// <param name="DataBytes">The document's UTF-8 length.</param>
/// <param name="ETag">The record row's version.</param>
public sealed record RecordItem(
    string Collection, string Id, string DataJson, string? Status, string? ParentId, IReadOnlyDictionary<string, long> Counters,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ExpiresAt, long DataBytes, ETag ETag);

/// <summary>What a record write leaves: <paramref name="DataJson"/> null keeps the stored document (and any blob) as it is.</summary>
/// <param name="DataJson">The new document, or null to keep it.</param>
/// <param name="Status">The status (null: none).</param>
/// <param name="ParentId">The parent (null: none).</param>
/// <param name="ExpiresAt">The expiry (null: never).</param>
/// <param name="Counters">The counters.</param>
public sealed record RecordState(string? DataJson, string? Status, string? ParentId, DateTimeOffset? ExpiresAt, IReadOnlyDictionary<string, long> Counters);

/// <summary>How a list of a collection is read.</summary>
/// <param name="ByRecency">Newest change first (else id order).</param>
/// <param name="Status">Only records with this status.</param>
/// <param name="ParentId">Only the children of this record (in id order).</param>
public sealed record RecordListQuery(bool ByRecency, string? Status, string? ParentId);

/// <summary>A collection's size.</summary>
/// <param name="Collection">The collection.</param>
/// <param name="Records">Records in it.</param>
/// <param name="Bytes">Their documents' bytes.</param>
public sealed record CollectionInfo(string Collection, long Records, long Bytes);

/// <summary>The per-user record quotas.</summary>
/// <param name="MaxRecordsPerCollection">Records one collection may hold.</param>
/// <param name="MaxCollections">Collections a user may have.</param>
/// <param name="MaxBytes">Document bytes a user may store across collections.</param>
public sealed record RecordQuotas(long MaxRecordsPerCollection, long MaxCollections, long MaxBytes)
{
    /// <summary>10,000 records per collection, 100 collections, 100 MiB.</summary>
    public static RecordQuotas Default { get; } = new(10_000, 100, 100L * 1024 * 1024);
}

/// <summary>A write would exceed a quota; nothing was written.</summary>
/// <param name="quota">Which quota: <c>recordsPerCollection</c>, <c>collections</c> or <c>bytes</c>.</param>
/// <param name="limit">Its limit.</param>
public sealed class RecordQuotaException(string quota, long limit) : Exception($"The {quota} quota ({limit}) would be exceeded.")
{
    /// <summary>Which quota.</summary>
    public string Quota { get; } = quota;

    /// <summary>Its limit.</summary>
    public long Limit { get; } = limit;
}

/// <summary>A precondition failed: <c>If-Match</c> named another version, or <c>If-None-Match: *</c> met an existing record.</summary>
public sealed class RecordPreconditionException() : Exception("The record is not in the state the write required.");

/// <summary>A record with children was deleted without cascading.</summary>
public sealed class RecordHasChildrenException() : Exception("The record has children.");
