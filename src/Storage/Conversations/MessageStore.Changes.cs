using Azure.Data.Tables;
using Azure;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>Deleting and redacting one of a thread's own messages, whether it is a row or sealed in an archive segment.</summary>
public sealed partial class MessageStore
{
    /// <summary>Deletes one of the thread's own messages (not an inherited one) and its client-id row; its blobs go after the commit.</summary>
    /// <returns>False when the message does not exist.</returns>
    /// <exception cref="InvalidOperationException">The message belongs to a fork ancestor.</exception>
    public async Task<bool> DeleteAsync(UserPartition user, string threadId, long sequence, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
            if (thread is null || thread.IsDeleted || sequence < 1 || sequence >= thread.NextSequence)
            {
                return false;
            }

            EnsureOwn(thread, sequence);
            var located = await LocateAsync(user, thread, sequence, cancellationToken).ConfigureAwait(false);
            if (located is null)
            {
                return false;
            }

            var (row, segment) = located.Value;
            var updated = thread with { MessageCount = thread.MessageCount - 1, UpdatedAt = time.GetUtcNow() };
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.UpdateReplace, ThreadEntities.ThreadRow(user, updated), thread.ETag),
                new(TableTransactionActionType.UpsertReplace, ThreadEntities.RecentRow(user, updated)),
            };
            if (row.GetString("ClientId") is { } clientId)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForMessageId(threadId, clientId)), ETag.All));
            }

            ArchiveSegment? rewritten = null;
            if (segment is null)
            {
                actions.Add(new(TableTransactionActionType.Delete, row, row.ETag));
            }
            else
            {
                rewritten = await RewriteAsync(user, segment, rows => rows.RemoveAll(r => MessageEntities.SequenceOf(r) == sequence), cancellationToken).ConfigureAwait(false);
                if (rewritten is null)
                {
                    await LostRaceAsync(attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                actions.Add(new(TableTransactionActionType.UpdateReplace, ArchiveSegments.Row(user, rewritten), segment.ETag));
            }

            if (!await CommitAsync(user, actions, rewritten, attempt, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            await DeleteBlobsAsync(row, segment, cancellationToken).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>Removes the content and tool calls of one of the thread's own messages, keeping its role, usage and place.</summary>
    /// <returns>The redacted message, or null when it does not exist.</returns>
    /// <exception cref="InvalidOperationException">The message belongs to a fork ancestor.</exception>
    public async Task<MessageRecord?> RedactAsync(UserPartition user, ThreadRecord thread, long sequence, CancellationToken cancellationToken)
    {
        EnsureOwn(thread, sequence);
        for (var attempt = 1; ; attempt++)
        {
            if (sequence < 1 || sequence >= thread.NextSequence)
            {
                return null;
            }

            var located = await LocateAsync(user, thread, sequence, cancellationToken).ConfigureAwait(false);
            if (located is null)
            {
                return null;
            }

            var (row, segment) = located.Value;
            var redacted = new TableEntity(row);
            MessageEntities.Redact(redacted);
            var committed = segment is null
                ? await CommitAsync(user, [new(TableTransactionActionType.UpdateReplace, redacted, row.ETag)], null, attempt, cancellationToken).ConfigureAwait(false)
                : await RewriteAndCommitAsync(segment, attempt, cancellationToken).ConfigureAwait(false);
            if (committed)
            {
                await DeleteBlobsAsync(row, segment, cancellationToken).ConfigureAwait(false);
                return MessageEntities.ToRecord(redacted, null, null);
            }

            // The row was sealed, unsealed or changed meanwhile: look again with the thread as it is now.
            await LostRaceAsync(attempt, cancellationToken).ConfigureAwait(false);
            thread = await threads.GetAsync(user, thread.Id, cancellationToken).ConfigureAwait(false) ?? thread;
        }

        async Task<bool> RewriteAndCommitAsync(ArchiveSegment segment, int attempt, CancellationToken cancellationToken)
        {
            var rewritten = await RewriteAsync(user, segment, rows => MessageEntities.Redact(rows.Single(r => MessageEntities.SequenceOf(r) == sequence)), cancellationToken).ConfigureAwait(false);
            return rewritten is not null && await CommitAsync(user, [new(TableTransactionActionType.UpdateReplace, ArchiveSegments.Row(user, rewritten), segment.ETag)], rewritten, attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void EnsureOwn(ThreadRecord thread, long sequence)
    {
        if (sequence < thread.Lineage.FirstOwnSequence)
        {
            throw new InvalidOperationException("The message belongs to the thread this one was forked from.");
        }
    }

    /// <summary>
    /// Finds one of <paramref name="thread"/>'s own messages: its row, or its line in the archive
    /// segment holding it (with that segment). Null when it does not exist.
    /// </summary>
    private async Task<(TableEntity Row, ArchiveSegment? Segment)?> LocateAsync(UserPartition user, ThreadRecord thread, long sequence, CancellationToken cancellationToken)
    {
        for (var look = 0; look < 3; look++)
        {
            if (thread.IsSealed(sequence))
            {
                var segment = await segments.FindAsync(user, thread.Id, sequence, cancellationToken).ConfigureAwait(false);

                // Rows null: the segment's blob was replaced meanwhile; look again below.
                if (segment is not null && segment.Covers(sequence) && await segments.ReadAsync(user, segment, cancellationToken).ConfigureAwait(false) is { } rows)
                {
                    var row = rows.Find(r => MessageEntities.SequenceOf(r) == sequence);
                    return row is null ? null : (row, segment);
                }
            }
            else if (await table.FindAsync(user.Key, UserRowKeys.ForMessage(thread.Id, sequence), cancellationToken: cancellationToken).ConfigureAwait(false) is { } row)
            {
                return (row, null);
            }

            // Not where the thread row said: sealed, unsealed or rewritten since it was read, or really absent. Look again.
            thread = await threads.GetAsync(user, thread.Id, cancellationToken).ConfigureAwait(false) ?? thread;
        }

        return null;
    }

    /// <summary>Uploads a new blob for <paramref name="segment"/> with <paramref name="change"/> applied to its rows (before the index row is swapped).</summary>
    /// <returns>The new segment, or null when the segment's blob was replaced meanwhile (a lost race: look again).</returns>
    private async Task<ArchiveSegment?> RewriteAsync(UserPartition user, ArchiveSegment segment, Action<List<TableEntity>> change, CancellationToken cancellationToken)
    {
        if (await segments.ReadAsync(user, segment, cancellationToken).ConfigureAwait(false) is not { } rows)
        {
            return null;
        }

        change(rows);
        var rewritten = await segments.UploadAsync(user, segment.ThreadId, segment.First, segment.Last, rows, cancellationToken).ConfigureAwait(false);
        return rewritten with { ETag = segment.ETag };
    }

    /// <summary>Commits a delete or redaction; false (with the new segment blob, if any, removed) when it lost a race and should be tried again.</summary>
    private async Task<bool> CommitAsync(UserPartition user, IReadOnlyList<TableTransactionAction> actions, ArchiveSegment? newSegment, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404 && attempt < ConversationLimits.MaxAppendAttempts)
        {
            if (newSegment?.Blob is { } blob)
            {
                // After a retry the first attempt may have committed (something else changed since): if the
                // index row names the new blob, it did, and the blob must stay.
                if (e is RetriedConflictException && await segments.IsIndexedAsync(user, newSegment, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                await payloads.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
            }

            await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>Waits before another attempt; gives up with 503 when the message keeps changing under us.</summary>
    private static Task LostRaceAsync(int attempt, CancellationToken cancellationToken) => attempt < ConversationLimits.MaxAppendAttempts
        ? Backoff.DelayAsync(attempt, cancellationToken)
        : throw new RequestFailedException(503, "The message kept changing; retry shortly.", "ServerBusy", null);

    /// <summary>After a delete or redaction commits: the message's offloaded texts and the segment blob it replaced.</summary>
    private async Task DeleteBlobsAsync(TableEntity row, ArchiveSegment? replacedSegment, CancellationToken cancellationToken)
    {
        foreach (var blob in MessageEntities.Blobs(row))
        {
            await payloads.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
        }

        if (replacedSegment?.Blob is { } old)
        {
            await payloads.DeleteAsync(old, cancellationToken).ConfigureAwait(false);
        }
    }
}
