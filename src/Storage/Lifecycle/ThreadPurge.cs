using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Purges a soft-deleted thread once its retention has passed (<see cref="RetentionRules.DeletedThread"/>): its
/// client-id, summary, list and segment rows, its messages, then its blobs, and last its thread row. What forks
/// still read stays: the thread's messages up to the last sequence number any fork takes from it
/// (<see cref="ThreadScan.NeededOf"/>), with the segments and blobs that hold them and the thread row (readers
/// look there to learn what was archived). Such a thread stays marked purged, out of every list and never
/// restorable, until the purge of its last fork releases it and it goes too.
/// </summary>
/// <remarks>
/// The first write marks the thread row purged under the ETag the re-check read, so a restore that slips in
/// between loses nothing (the mark fails and the thread is looked at again next sweep), and from then on
/// <see cref="ThreadStore"/> refuses to change it. A purge interrupted at any point is finished by the next sweep:
/// the entry goes only when the purge completes, and every step deletes only what is still there.
/// </remarks>
internal static class ThreadPurge
{
    /// <summary>The largest sequence number a key can hold (10 digits).</summary>
    private const long LastPossibleSequence = 9_999_999_999;

    public static async Task<PurgeOutcome> RunAsync(UserSweep sweep, ExpiryEntry entry, CancellationToken cancellationToken)
    {
        var users = sweep.Storage.Users;
        var user = sweep.User;
        var threadId = entry.Subject;
        var row = await users.FindAsync(user.Key, UserRowKeys.ForThread(threadId), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (row is null || ThreadEntities.ToRecord(row) is not { DeletedAt: { } deletedAt } thread)
        {
            return PurgeOutcome.Stale;
        }

        var scan = await sweep.ThreadsAsync(cancellationToken).ConfigureAwait(false);
        if (thread.PurgedAt is null)
        {
            var due = deletedAt + await sweep.RetentionAsync(RetentionRules.DeletedThread, cancellationToken).ConfigureAwait(false);
            if (due > sweep.Now)
            {
                return PurgeOutcome.Reschedule(due);
            }

            if (!scan.Covers(deletedAt))
            {
                return PurgeOutcome.Deferred;
            }

            if (!sweep.DryRun && !await ClaimAsync(users, row, sweep.Now, cancellationToken).ConfigureAwait(false))
            {
                return PurgeOutcome.Deferred;
            }
        }

        var needed = scan.NeededOf(threadId);
        var folder = await sweep.Deleter.ListFolderAsync(UserDataKinds.MessageBlobs, threadId, cancellationToken).ConfigureAwait(false);
        var sizes = folder.ToDictionary(b => b.Name, b => b.Properties.ContentLength ?? 0, StringComparer.Ordinal);

        var small = new List<TableEntity>();
        foreach (var key in new[] { UserRowKeys.ForRecent(thread.LastActivityAt, threadId), UserRowKeys.ForCreated(thread.CreatedAt, threadId), UserRowKeys.ForSummary(threadId) })
        {
            if (await users.FindAsync(user.Key, key, cancellationToken: cancellationToken).ConfigureAwait(false) is { } found)
            {
                small.Add(found);
            }
        }

        small.AddRange(await users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, KeyEncoding.Compose(UserRowKeys.MessageId, threadId, string.Empty)), cancellationToken: cancellationToken).ConfigureAwait(false));
        var segments = await users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.SegmentsOf(threadId)), cancellationToken: cancellationToken).ConfigureAwait(false);
        small.AddRange(segments.Where(s => (s.GetInt64("First") ?? 0) > needed));
        await sweep.Deleter.RowsAsync(small, sizes, cancellationToken).ConfigureAwait(false);

        // Messages past what forks read, a transaction's worth at a time.
        string? continuation = null;
        do
        {
            var page = await users.ReadPageAsync(MessageStore.Range(user, threadId, needed + 1, LastPossibleSequence), 100, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
            await sweep.Deleter.RowsAsync(page.Entities, sizes, cancellationToken).ConfigureAwait(false);
            continuation = page.Continuation;
        }
        while (continuation is not null);

        // A purged thread never changes again, so a blob of its folder that no remaining row references is garbage
        // now, not after a grace period: texts of appends that failed, segments of lost races, and blobs whose rows
        // an interrupted purge already deleted.
        var kept = needed == 0 ? [] : await KeptBlobsAsync(sweep, threadId, needed, segments, cancellationToken).ConfigureAwait(false);
        var left = await sweep.Deleter.ListFolderAsync(UserDataKinds.MessageBlobs, threadId, cancellationToken).ConfigureAwait(false);
        await sweep.Deleter.FolderAsync(UserDataKinds.MessageBlobs, left.Where(b => !kept.Contains(b.Name)).ToList(), new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        if (needed == 0)
        {
            // Nothing of it is read any more: the thread row goes last, as it is what a resumed purge starts from.
            await sweep.Deleter.RowsAsync([new TableEntity(row) { ETag = ETag.All }], null, cancellationToken).ConfigureAwait(false);
        }

        scan.MarkPurged(threadId, sweep.Now, removed: needed == 0);
        if (!sweep.DryRun)
        {
            // Ancestors kept for this thread's sake may now be needed by no one: look at them again.
            foreach (var ancestor in thread.Lineage.Ancestors.Where(a => scan.IsPurged(a.ThreadId)))
            {
                await sweep.Expiry.PutAsync(user.Key, RetentionRules.DeletedThread, ancestor.ThreadId, sweep.Now, sweep.Now, cancellationToken).ConfigureAwait(false);
            }
        }

        return PurgeOutcome.Done;
    }

    /// <summary>The blobs the rows kept for forks reference: the messages up to <paramref name="needed"/> and the segments that hold them.</summary>
    private static async Task<HashSet<string>> KeptBlobsAsync(UserSweep sweep, string threadId, long needed, IEnumerable<TableEntity> segments, CancellationToken cancellationToken)
    {
        var user = sweep.User;
        var rows = await sweep.Storage.Users.ReadAllAsync(MessageStore.Range(user, threadId, 1, needed), UserDataKinds.Message.ReferenceColumns, cancellationToken).ConfigureAwait(false);
        return rows.SelectMany(r => UserDataKinds.Message.ReferencedBlobs(user, r))
            .Concat(segments.Where(s => (s.GetInt64("First") ?? 0) <= needed).SelectMany(s => UserDataKinds.Segment.ReferencedBlobs(user, s)))
            .Select(b => b.BlobName)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Marks the thread purged under the ETag it was re-checked with; false when it changed meanwhile.</summary>
    private static async Task<bool> ClaimAsync(TableClient users, TableEntity row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await users.MergeAsync(new TableEntity(row.PartitionKey, row.RowKey) { [ThreadEntities.PurgedAtProperty] = now }, row.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }
}
