using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Deletes a user's rows, then the blobs they referenced (design.md §3: row first, so no row ever points at a
/// missing blob), counting per kind only what this call deleted; in a dry run it counts what it would delete.
/// </summary>
internal sealed class Deleter(LifecycleStorage storage, UserPartition user, bool dryRun, KindTally tally)
{
    /// <summary>Blob deletes in flight at once.</summary>
    private const int BlobParallelism = 8;

    // A dry run deletes nothing, so a blob it met as a row's reference would be met again in its folder's listing.
    private readonly HashSet<string> counted = new(StringComparer.Ordinal);

    /// <summary>Deletes rows (each under its ETag), then the blobs they reference; returns the rows deleted.</summary>
    /// <param name="rows">Rows read with at least their kind's reference columns.</param>
    /// <param name="blobBytes">Stored sizes by blob name, for references that do not record theirs.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<IReadOnlyList<TableEntity>> RowsAsync(IReadOnlyList<TableEntity> rows, IReadOnlyDictionary<string, long>? blobBytes, CancellationToken cancellationToken)
    {
        var gone = dryRun ? rows : await storage.Users.DeleteRowsAsync(rows, cancellationToken).ConfigureAwait(false);
        await CountAndDeleteBlobsAsync(gone, blobBytes, cancellationToken).ConfigureAwait(false);
        return gone;
    }

    /// <summary>
    /// Deletes rows (each under its ETag) together with <paramref name="extra"/> (e.g. a counter row updated under its
    /// ETag) in ONE transaction, all or nothing, then the blobs the rows reference. A 404 or 412 (a row or the counter
    /// changed since it was read) fails the whole transaction: re-read and try again.
    /// </summary>
    /// <exception cref="Azure.RequestFailedException">The transaction failed; nothing was deleted.</exception>
    public async Task RowsTogetherAsync(IReadOnlyList<TableEntity> rows, IReadOnlyList<TableTransactionAction> extra, CancellationToken cancellationToken)
    {
        if (!dryRun)
        {
            await storage.Users.SubmitAsync(
                [.. rows.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, r.ETag == default ? Azure.ETag.All : r.ETag)), .. extra],
                cancellationToken).ConfigureAwait(false);
        }

        await CountAndDeleteBlobsAsync(rows, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task CountAndDeleteBlobsAsync(IReadOnlyList<TableEntity> gone, IReadOnlyDictionary<string, long>? blobBytes, CancellationToken cancellationToken)
    {
        var blobs = new List<BlobReference>();
        foreach (var row in gone)
        {
            var kind = UserDataKinds.OfRow(row.RowKey);
            tally.AddRow(kind?.Name ?? "unknown", EntityLimits.SizeOf(row));
            if (kind is not null)
            {
                blobs.AddRange(kind.ReferencedBlobs(user, row));
            }
        }

        await BlobsAsync(blobs.Select(b => b.StoredBytes is null && blobBytes?.GetValueOrDefault(b.BlobName) is { } size ? b with { StoredBytes = size } : b), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes blobs (already gone is fine), counting those this call deleted.</summary>
    public Task BlobsAsync(IEnumerable<BlobReference> blobs, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            blobs.DistinctBy(b => b.BlobName),
            new ParallelOptions { MaxDegreeOfParallelism = BlobParallelism, CancellationToken = cancellationToken },
            async (blob, token) =>
            {
                if (dryRun ? FirstTime(blob.BlobName) : await storage.Payloads.GetBlobClient(blob.BlobName).DeleteBlobAsync(token).ConfigureAwait(false))
                {
                    tally.AddBlob(blob.Kind, blob.StoredBytes ?? 0);
                }
            });

    /// <summary>The blobs in <paramref name="owner"/>'s folder of kind <paramref name="folder"/>, with their stored sizes.</summary>
    public async Task<IReadOnlyList<BlobItem>> ListFolderAsync(BlobFolderKind folder, string owner, CancellationToken cancellationToken)
    {
        var items = new List<BlobItem>();
        var prefix = UserBlobNames.Folder(user.Key, folder.Folder, owner) + "/";
        await foreach (var item in storage.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            items.Add(item);
        }

        return items;
    }

    /// <summary>Deletes every blob of a folder (once no row references any), each counted under the kind <paramref name="kindOf"/> names, else the folder's.</summary>
    public Task FolderAsync(BlobFolderKind folder, IReadOnlyList<BlobItem> items, IReadOnlyDictionary<string, string> kindOf, CancellationToken cancellationToken) =>
        BlobsAsync(items.Select(i => new BlobReference(i.Name, i.Properties.ContentLength ?? 0, kindOf.GetValueOrDefault(i.Name) ?? folder.ContentKind.Name)), cancellationToken);

    private bool FirstTime(string blobName)
    {
        lock (counted)
        {
            return counted.Add(blobName);
        }
    }
}
