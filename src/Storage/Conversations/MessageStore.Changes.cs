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
                new(TableActionType.UpdateReplace, ThreadEntities.ThreadRow(user, updated), thread.ETag),
                new(TableActionType.UpsertReplace, ThreadEntities.RecentRow(user, updated)),
            };
            if (row.GetString("ClientId") is { } clientId)
            {
                actions.Add(new(TableActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForMessageId(threadId, clientId)), ETag.All));
            }

            ArchiveSegment? rewritten = null;
            if (segment is null)
            {
                actions.Add(new(TableActionType.Delete, row, row.ETag));
            }
            else
            {
                rewritten = await RewriteAsync(user, segment, rows => rows.RemoveAll(r => MessageEntities.SequenceOf(r) == sequence), cancellationToken).ConfigureAwait(false);
                actions.Add(new(TableActionType.UpdateReplace, ArchiveSegments.Row(user, rewritten), segment.ETag));
            }

            if (!await CommitAsync(actions, rewritten, attempt, cancellationToken).ConfigureAwait(false))
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
            var redacted = EntityCopy(row);
            MessageEntities.Redact(redacted);
            var committed = segment is null
                ? await CommitAsync([new(TableActionType.UpdateReplace, redacted, row.ETag)], null, attempt, cancellationToken).ConfigureAwait(false)
                : await RewriteAndCommitAsync(segment, attempt, cancellationToken).ConfigureAwait(false);
            if (committed)
            {
                await DeleteBlobsAsync(row, segment, cancellationToken).ConfigureAwait(false);
                return MessageEntities.ToRecord(redacted, null, null);
            }

            // The row was sealed, unsealed or changed meanwhile: look again with the thread as it is now.
            thread = await threads.GetAsync(user, thread.Id, cancellationToken).ConfigureAwait(false) ?? thread;
        }

        async Task<bool> RewriteAndCommitAsync(ArchiveSegment segment, int attempt, CancellationToken cancellationToken)
        {
            var rewritten = await RewriteAsync(user, segment, rows => MessageEntities.Redact(rows.Single(r => MessageEntities.SequenceOf(r) == sequence)), cancellationToken).ConfigureAwait(false);
            return await CommitAsync([new(TableActionType.UpdateReplace, ArchiveSegments.Row(user, rewritten), segment.ETag)], rewritten, attempt, cancellationToken).ConfigureAwait(false);
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
        for (var look = 0; look < 2; look++)
        {
            if (thread.IsSealed(sequence))
            {
                var segment = await segments.FindAsync(user, thread.Id, sequence, cancellationToken).ConfigureAwait(false);
                if (segment is not null && segment.Covers(sequence))
                {
                    var row = (await segments.ReadAsync(user, segment, cancellationToken).ConfigureAwait(false)).Find(r => MessageEntities.SequenceOf(r) == sequence);
                    return row is null ? null : (row, segment);
                }
            }
            else if (await table.GetAsync(user.Key, UserRowKeys.ForMessage(thread.Id, sequence), cancellationToken: cancellationToken).ConfigureAwait(false) is { } row)
            {
                return (row, null);
            }

            // Not where the thread row said: sealed or unsealed since it was read, or really absent. Look once more.
            thread = await threads.GetAsync(user, thread.Id, cancellationToken).ConfigureAwait(false) ?? thread;
        }

        return null;
    }

    /// <summary>Uploads a new blob for <paramref name="segment"/> with <paramref name="change"/> applied to its rows (before the index row is swapped).</summary>
    private async Task<ArchiveSegment> RewriteAsync(UserPartition user, ArchiveSegment segment, Action<List<TableEntity>> change, CancellationToken cancellationToken)
    {
        var rows = await segments.ReadAsync(user, segment, cancellationToken).ConfigureAwait(false);
        change(rows);
        var rewritten = await segments.UploadAsync(user, segment.ThreadId, segment.First, segment.Last, rows, cancellationToken).ConfigureAwait(false);
        return rewritten with { ETag = segment.ETag };
    }

    /// <summary>Commits a delete or redaction; false (with the new segment blob, if any, removed) when it lost a race and should be tried again.</summary>
    private async Task<bool> CommitAsync(IReadOnlyList<TableTransactionAction> actions, ArchiveSegment? newSegment, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StorageException e) when ((e.IsPreconditionFailed || e.IsNotFound) && attempt < ConversationLimits.MaxAppendAttempts)
        {
            if (newSegment?.Blob is { } blob)
            {
                await payloads.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
            }

            await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

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

    private static TableEntity EntityCopy(TableEntity row)
    {
        var copy = new TableEntity(row.PartitionKey, row.RowKey) { ETag = row.ETag };
        foreach (var (name, value) in row)
        {
            copy[name] = value;
        }

        return copy;
    }
}
