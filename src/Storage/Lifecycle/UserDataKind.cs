using Azure.Data.Tables;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// One kind of row in a user's partition (<see cref="UserDataKinds"/> lists them all): the RowKey prefix that tells
/// it apart, and the blobs its rows reference. Retention, erasure, usage, integrity and migrations all walk the
/// registry, so a kind registered here cannot be forgotten by one of them.
/// </summary>
/// <remarks>
/// Enumerate a kind for a user with <see cref="Filter"/> (a prefix scan of the user's partition); size a row with
/// <see cref="EntityLimits.SizeOf"/> and its blobs with <see cref="ReferencedBlobs"/>; delete a row, then the blobs
/// it references (design.md §3). When a kind's rows expire is the business of <see cref="RetentionRules"/>, and
/// what a deletion drags along (a thread's messages, a mission's runs) of their purges.
/// </remarks>
public sealed class UserDataKind
{
    private readonly Func<UserPartition, TableEntity, IEnumerable<BlobReference>> references;

    internal UserDataKind(string name, string rowPrefix, string description, IReadOnlyList<string> referenceColumns, Func<UserPartition, TableEntity, IEnumerable<BlobReference>>? references = null)
    {
        Name = name;
        RowPrefix = rowPrefix;
        Description = description;
        ReferenceColumns = referenceColumns;
        this.references = references ?? ((_, _) => []);
    }

    /// <summary>The kind's stable name, used in reports, receipts and retention settings, e.g. <c>message</c>.</summary>
    public string Name { get; }

    /// <summary>The first segment of its row keys (a <see cref="UserRowKeys"/> constant), e.g. <c>msg</c>.</summary>
    public string RowPrefix { get; }

    /// <summary>What its rows hold, for people reading a report.</summary>
    public string Description { get; }

    /// <summary>The columns <see cref="ReferencedBlobs"/> reads (empty when its rows never reference a blob): what a projected scan selects.</summary>
    public IReadOnlyList<string> ReferenceColumns { get; }

    /// <summary>Whether its rows may reference blobs.</summary>
    public bool ReferencesBlobs => ReferenceColumns.Count > 0;

    /// <summary>The filter of every row of this kind in <paramref name="user"/>'s partition.</summary>
    public string Filter(UserPartition user) => TableFilters.RowKeyStartsWith(user.Key, RowPrefix + KeyEncoding.Separator);

    /// <summary>Whether a row key is of this kind.</summary>
    public bool Owns(string rowKey) =>
        rowKey.Length > RowPrefix.Length && rowKey[RowPrefix.Length] == KeyEncoding.Separator && rowKey.StartsWith(RowPrefix, StringComparison.Ordinal);

    /// <summary>The blobs a row of this kind references (it must hold <see cref="ReferenceColumns"/>).</summary>
    public IEnumerable<BlobReference> ReferencedBlobs(UserPartition user, TableEntity row) => references(user, row);

    /// <summary>The references kept with <see cref="PayloadColumns"/> under each of <paramref name="columnPrefixes"/>, attributed to <paramref name="kind"/>.</summary>
    internal static IEnumerable<BlobReference> PayloadReferences(TableEntity row, string kind, params string[] columnPrefixes) =>
        columnPrefixes.Select(prefix => PayloadColumns.Read(row, prefix)).OfType<PayloadReference>().Select(r => new BlobReference(r.BlobName, r.StoredBytes, kind));

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A blob a row references.</summary>
/// <param name="BlobName">The blob's full name in the payload container.</param>
/// <param name="StoredBytes">Its stored (compressed) length when the row records it, else null.</param>
/// <param name="Kind">The kind the blob's content belongs to (a sealed message's offloaded text is a message's, even when a segment row lists it).</param>
public sealed record BlobReference(string BlobName, long? StoredBytes, string Kind);
