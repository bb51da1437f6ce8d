using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Seals a thread's own messages into archive segments (<see cref="ArchiveSegment"/>) and unseals
/// them back into rows.
/// </summary>
/// <remarks>
/// <para>
/// Each segment moves in one entity group transaction: the thread row (its
/// <see cref="ThreadRecord.SealedThrough"/> advanced, under its ETag), its activity row, the
/// segment's index row and the message rows (deleted under their own ETags, or re-added). So at
/// every instant a message is either a row or in a committed segment, never both or neither, and a
/// reader can always tell which from the thread row; the blob is uploaded before the commit and a
/// commit that loses a race (an append, delete or redaction in between) deletes its blob (unless a
/// retried attempt may have committed it: then its index row decides) and re-reads. A segment holds
/// at most <see cref="SegmentMessages"/> messages and at most a transaction's byte budget, so it
/// fits one transaction both ways.
/// </para>
/// <para>
/// Sealing goes from the oldest message up, unsealing from the newest down, so the sealed messages
/// are always a prefix of the thread's own ones; an interrupted call leaves a consistent thread that
/// the next call carries on from. Messages appended later stay rows until the thread is sealed
/// again. Client-id rows stay rows, so appends stay idempotent.
/// </para>
/// </remarks>
public sealed class ThreadArchiver(TableClient table, ThreadStore threads, PayloadStore payloads)
{
    /// <summary>Messages per segment: a transaction's 100 operations less the thread, activity and index rows.</summary>
    public const int SegmentMessages = ConversationLimits.MaxTransactionOperations - 3;

    private readonly ArchiveSegments segments = new(table, payloads);

    /// <summary>
    /// Seals the own messages of a live thread that are still rows, up to its last sequence number
    /// when the call starts, at most <paramref name="maxSegments"/> segments per call.
    /// </summary>
    /// <returns>The thread afterwards and whether all is sealed; null when it does not exist or is deleted.</returns>
    public async Task<ArchiveProgress?> SealAsync(UserPartition user, string threadId, int maxSegments, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        var thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
        if (thread is null || thread.IsDeleted)
        {
            return null;
        }

        var target = thread.NextSequence - 1;
        var lost = 0;
        for (var moved = 0; ; moved++)
        {
            var first = Math.Max(thread.SealedThrough, thread.Lineage.FirstOwnSequence - 1) + 1;
            if (first > target || moved == maxSegments)
            {
                return new ArchiveProgress(thread, Complete: first > target);
            }

            var page = await table.ReadPageAsync(MessageStore.Range(user, threadId, first, target), SegmentMessages, cancellationToken: cancellationToken).ConfigureAwait(false);
            var rows = WithinBatchBudget(page.Entities);
            var last = rows.Count < page.Entities.Count || rows.Count == SegmentMessages ? MessageEntities.SequenceOf(rows[^1]) : target;
            var segment = await segments.UploadAsync(user, threadId, first, last, rows, cancellationToken).ConfigureAwait(false);
            var sealedThread = thread with { SealedThrough = last };
            var actions = new List<TableTransactionAction>(rows.Count + 3)
            {
                new(TableTransactionActionType.UpdateReplace, ThreadEntities.ThreadRow(user, sealedThread), thread.ETag),
                new(TableTransactionActionType.UpsertReplace, ThreadEntities.RecentRow(user, sealedThread)),
                new(TableTransactionActionType.Add, ArchiveSegments.Row(user, segment)),
            };
            actions.AddRange(rows.Select(row => new TableTransactionAction(TableTransactionActionType.Delete, row, row.ETag)));
            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                thread = sealedThread with { ETag = etags[0] ?? default };
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404 or 409)
            {
                // After a retry the first attempt may have committed (and something changed the thread since):
                // the index row naming this blob says so. Only a blob no row names may go.
                var committed = e is RetriedConflictException && await segments.IsIndexedAsync(user, segment, cancellationToken).ConfigureAwait(false);
                if (!committed)
                {
                    await DeleteBlobAsync(segment, cancellationToken).ConfigureAwait(false);
                    moved--; // a lost race moved nothing
                    if (++lost >= ConversationLimits.MaxAppendAttempts)
                    {
                        throw new RequestFailedException(503, "The thread kept changing while it was being archived; retry shortly.", "ServerBusy", null);
                    }

                    await Backoff.DelayAsync(lost, cancellationToken).ConfigureAwait(false);
                }

                thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
                if (thread is null || thread.IsDeleted)
                {
                    return null;
                }
            }
        }
    }

    /// <summary>Restores sealed messages of a live thread to rows, newest segment first, at most <paramref name="maxSegments"/> segments per call.</summary>
    /// <returns>The thread afterwards and whether nothing is sealed any more; null when it does not exist or is deleted.</returns>
    /// <exception cref="InvalidDataException">The thread says a message is sealed but no segment holds it.</exception>
    public async Task<ArchiveProgress?> UnsealAsync(UserPartition user, string threadId, int maxSegments, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        var thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
        var lost = 0;
        var moved = 0;
        while (thread is not null && !thread.IsDeleted)
        {
            if (!thread.HasSealed || moved == maxSegments)
            {
                return new ArchiveProgress(thread, Complete: !thread.HasSealed);
            }

            var segment = await segments.FindAsync(user, threadId, thread.SealedThrough, cancellationToken).ConfigureAwait(false);
            var rows = segment is null || segment.Last != thread.SealedThrough ? null : await segments.ReadAsync(user, segment, cancellationToken).ConfigureAwait(false);
            if (segment is null || rows is null)
            {
                // Another unarchive (or a delete or redaction rewriting the segment) got there first: look again.
                var current = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
                if (current is not null && current.ETag == thread.ETag && segment?.Last != thread.SealedThrough)
                {
                    throw new InvalidDataException($"Thread {threadId} is sealed through {thread.SealedThrough} but no archive segment ends there.");
                }

                if (++lost >= ConversationLimits.MaxAppendAttempts)
                {
                    throw new RequestFailedException(503, "The thread kept changing while it was being unarchived; retry shortly.", "ServerBusy", null);
                }

                thread = current;
                continue;
            }

            var restored = thread with { SealedThrough = segment.First - 1 };
            var actions = new List<TableTransactionAction>(rows.Count + 3)
            {
                new(TableTransactionActionType.UpdateReplace, ThreadEntities.ThreadRow(user, restored), thread.ETag),
                new(TableTransactionActionType.UpsertReplace, ThreadEntities.RecentRow(user, restored)),
                new(TableTransactionActionType.Delete, ArchiveSegments.Row(user, segment), segment.ETag),
            };
            actions.AddRange(rows.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)));
            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                thread = restored with { ETag = etags[0] ?? default };
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404 or 409)
            {
                if (++lost >= ConversationLimits.MaxAppendAttempts)
                {
                    throw new RequestFailedException(503, "The thread kept changing while it was being unarchived; retry shortly.", "ServerBusy", null);
                }

                // The segment's blob stays: if a retried attempt did commit, the next pass finds the index
                // row gone and the orphan check finds the blob.
                await Backoff.DelayAsync(lost, cancellationToken).ConfigureAwait(false);
                thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await DeleteBlobAsync(segment, cancellationToken).ConfigureAwait(false);
            moved++;
        }

        return null;
    }

    /// <summary>
    /// The longest prefix of <paramref name="rows"/> whose unarchive transaction fits the batch budget
    /// (a row's body there is its segment line; non-ASCII text takes 6 bytes a character), so every
    /// segment can always be restored in one transaction. At least one row: a row alone always fits.
    /// </summary>
    private static IReadOnlyList<TableEntity> WithinBatchBudget(IReadOnlyList<TableEntity> rows)
    {
        long bytes = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            bytes += ArchiveSegments.LineBytes(rows[i]) + ConversationLimits.OperationOverheadBytes;
            if (i > 0 && bytes > ConversationLimits.BatchBudgetBytes)
            {
                return rows.Take(i).ToList();
            }
        }

        return rows;
    }

    private async Task DeleteBlobAsync(ArchiveSegment segment, CancellationToken cancellationToken)
    {
        if (segment.Blob is { } blob)
        {
            await payloads.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Where an archive or unarchive call left a thread.</summary>
/// <param name="Thread">The thread afterwards.</param>
/// <param name="Complete">Whether the job is done; if not, calling again carries on where this call stopped.</param>
public sealed record ArchiveProgress(ThreadRecord Thread, bool Complete);
