using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// One folder of a user's blobs (<c>{userKey}/{folder}/{owner}/…</c>, see <see cref="UserBlobNames"/>): which kinds
/// of rows may reference its blobs, and so which rows to read to learn whether a blob there is still referenced.
/// </summary>
public sealed class BlobFolderKind
{
    private readonly Func<UserPartition, string, string>? referencingRows;

    /// <param name="folder">The folder name.</param>
    /// <param name="contentKind">The kind an unreferenced blob here is counted under.</param>
    /// <param name="referenceScanOrder">The kinds whose rows reference its blobs, in the order a check reads them.</param>
    /// <param name="referencingRows">
    /// The filter of the rows that may reference one owner's blobs, when it is not <see cref="ReferencingRows"/>'s (rows whose
    /// key carries the owner as a middle segment): e.g. the one row <c>artifact|{id}</c> of an artifact's folder.
    /// </param>
    internal BlobFolderKind(string folder, UserDataKind contentKind, IReadOnlyList<UserDataKind> referenceScanOrder, Func<UserPartition, string, string>? referencingRows = null)
    {
        Folder = folder;
        ContentKind = contentKind;
        ReferenceScanOrder = referenceScanOrder;
        this.referencingRows = referencingRows;
    }

    /// <summary>The folder name, e.g. <c>msg</c>.</summary>
    public string Folder { get; }

    /// <summary>The kind an unreferenced blob here is counted under (usage, erasure receipts).</summary>
    public UserDataKind ContentKind { get; }

    /// <summary>
    /// The kinds whose rows reference blobs of this folder, in the order a reference check reads them. A kind
    /// may appear twice: archiving and unarchiving move references between segment and message rows, each move
    /// one atomic transaction, so reading segments, then messages, then segments again sees a reference that
    /// one move shifts during the check on at least one side.
    /// </summary>
    public IReadOnlyList<UserDataKind> ReferenceScanOrder { get; }

    /// <summary>
    /// The filter of <paramref name="kind"/>'s rows that may reference blobs of <paramref name="owner"/>'s folder:
    /// those rows' keys carry the owner as their second segment (<c>msg|{threadId}|…</c>, <c>mrun|{missionId}|…</c>).
    /// </summary>
    public static string ReferencingRows(UserPartition user, UserDataKind kind, string owner) =>
        TableFilters.RowKeyStartsWith(user.Key, KeyEncoding.Compose(kind.RowPrefix, owner, string.Empty));

    /// <summary>The filter of <paramref name="kind"/>'s rows that may reference blobs of <paramref name="owner"/>'s folder of this kind.</summary>
    public string RowsReferencing(UserPartition user, UserDataKind kind, string owner) =>
        referencingRows?.Invoke(user, owner) ?? ReferencingRows(user, kind, owner);

    /// <inheritdoc />
    public override string ToString() => Folder;
}
