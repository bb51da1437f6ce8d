using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Finds message payload blobs that no row references: left behind when an append uploaded its
/// blobs and then failed or crashed before its transaction committed, or replayed an earlier
/// append, or a segment blob of an archive or unarchive step that lost its race. Retention deletes
/// what this finds.
/// </summary>
public sealed class OrphanPayloads(TableClient table, BlobContainerClient container)
{
    /// <summary>
    /// The user's message blobs that no message row references and that are older than
    /// <paramref name="grace"/> (younger ones may belong to an append still in flight).
    /// </summary>
    /// <remarks>
    /// Cost: one scan of the user's message rows and archive segment index rows (only the blob
    /// columns) and one listing of the user's message blobs. Texts of sealed messages are referenced
    /// from their segment's index row, so the check never downloads a segment.
    /// </remarks>
    public async Task<IReadOnlyList<string>> FindAsync(UserPartition user, TimeSpan grace, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // Segment index rows are scanned before and after the message rows: a text that one archive or
        // unarchive step moves between segment and row during the check is then seen on at least one
        // side. (A text moved both ways within one check could still look orphaned: a sweep should
        // look again before it deletes.)
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        await AddSegmentReferencesAsync(user, referenced, cancellationToken).ConfigureAwait(false);
        var rows = await table.ReadAllAsync(
            TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Messages),
            [PayloadColumns.BlobColumn(MessageEntities.Content), PayloadColumns.BlobColumn(MessageEntities.ToolCalls)],
            cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            referenced.UnionWith(MessageEntities.Blobs(row).Select(b => b.BlobName));
        }

        await AddSegmentReferencesAsync(user, referenced, cancellationToken).ConfigureAwait(false);

        var orphans = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{user.Key}/msg/" }, cancellationToken).ConfigureAwait(false))
        {
            if (!referenced.Contains(blob.Name) && blob.Properties.LastModified <= now - grace)
            {
                orphans.Add(blob.Name);
            }
        }

        return orphans;
    }

    private async Task AddSegmentReferencesAsync(UserPartition user, HashSet<string> referenced, CancellationToken cancellationToken)
    {
        var segmentRows = await table.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Segments), ArchiveSegments.ReferenceColumns, cancellationToken).ConfigureAwait(false);
        foreach (var row in segmentRows)
        {
            referenced.UnionWith(ArchiveSegments.ReferencedBlobs(user, row));
        }
    }
}
