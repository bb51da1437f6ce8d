using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Message rows (<c>msg|{threadId}|{seq}</c>) and client-id rows (<c>msgid|{threadId}|{id}</c>).
/// An append is one entity group transaction: the messages, their client-id rows, the thread row
/// (counters and next sequence number, under its ETag) and the move of its activity row. Losing
/// the race for the ETag re-reads and retries, so sequence numbers are dense and unique.
/// </summary>
public sealed class MessageStore(TableClient table, ThreadStore threads, PayloadStore payloads, TimeProvider time)
{
    /// <summary>Times a page is read again because a concurrent archive or unarchive moved under it, before giving up with 503.</summary>
    private const int MaxReadRestarts = 5;

    /// <summary>Messages a transcript stream inflates ahead of the one it hands out.</summary>
    private const int StreamReadAhead = 4;

    private readonly ArchiveSegments segments = new(table, payloads);

    /// <summary>
    /// Appends <paramref name="messages"/> (already validated: roles, sizes and
    /// <see cref="ConversationLimits.MaxAppendRows"/>) to a live thread.
    /// </summary>
    /// <returns>The outcome, or null when the thread does not exist or is deleted.</returns>
    /// <exception cref="ClientMessageIdConflictException">Some client ids were used before, but not by this very append.</exception>
    public async Task<AppendResult?> AppendAsync(UserPartition user, string threadId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        // Blobs first: a row must never point to a blob that is not there. If the commit then fails,
        // the blobs are orphans that OrphanPayloads finds; they are reused across retries below.
        var (contentBlobs, toolCallBlobs) = await OffloadAsync(user, threadId, messages, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
            if (thread is null || thread.IsDeleted)
            {
                return null;
            }

            var now = time.GetUtcNow();
            var first = thread.NextSequence;
            var updated = thread with
            {
                NextSequence = first + messages.Count,
                MessageCount = thread.MessageCount + messages.Count,
                PromptTokens = thread.PromptTokens + messages.Sum(m => m.PromptTokens ?? 0),
                CompletionTokens = thread.CompletionTokens + messages.Sum(m => m.CompletionTokens ?? 0),
                Cost = thread.Cost + messages.Sum(m => m.Cost ?? 0),

                // Strictly later than the previous activity, so the new activity row never has the old one's key.
                LastActivityAt = now > thread.LastActivityAt ? now : thread.LastActivityAt.AddTicks(1),
                UpdatedAt = now,
            };
            var actions = new List<TableTransactionAction>(messages.Count * 2 + ConversationLimits.AppendFixedOperations)
            {
                new(TableActionType.UpdateReplace, ThreadEntities.ThreadRow(user, updated), thread.ETag),
                new(TableActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForRecent(thread.LastActivityAt, threadId)), ETag.All),
                new(TableActionType.Add, ThreadEntities.RecentRow(user, updated)),
            };
            var rows = new List<TableEntity>(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                var row = MessageEntities.Row(user, threadId, first + i, messages[i], contentBlobs[i], toolCallBlobs[i], now);
                rows.Add(row);
                actions.Add(new(TableActionType.Add, row));
            }

            var clientIdStart = actions.Count;
            for (var i = 0; i < messages.Count; i++)
            {
                if (messages[i].ClientMessageId is { } clientId)
                {
                    actions.Add(new(TableActionType.Add, MessageEntities.ClientIdRow(user, threadId, clientId, first + i)));
                }
            }

            try
            {
                var etags = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                var records = rows.Select((r, i) => MessageEntities.ToRecord(r, messages[i].Content, messages[i].ToolCallsJson)).ToList();
                return new AppendResult(updated with { ETag = etags[0] ?? default }, records, Replayed: false);
            }
            catch (StorageException e) when (e.IsConflict && e.FailedOperationIndex >= clientIdStart)
            {
                return await ReplayAsync(user, thread, messages, cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException e) when ((e.IsPreconditionFailed || e.IsNotFound || e.IsConflict) && attempt < ConversationLimits.MaxAppendAttempts)
            {
                // Another append (or a thread update) won the thread row's ETag: re-read and go again.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads message <paramref name="sequence"/> as <paramref name="thread"/> shows it (through its fork lineage and archive segments); null when absent.</summary>
    public async Task<MessageRecord?> GetAsync(UserPartition user, ThreadRecord thread, long sequence, CancellationToken cancellationToken)
    {
        if (sequence < 1 || sequence >= thread.NextSequence)
        {
            return null;
        }

        var owner = thread.Lineage.OwnerOf(thread.Id, sequence);
        var rows = await ReadPageAsync(user, thread, reader => reader.ReadAsync(owner, sequence, sequence, 1, cancellationToken)).ConfigureAwait(false);
        return rows.Count == 0 ? null : await ReadAsync(rows[0], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One page of a thread's messages (its fork ancestry included) in sequence order, after (asc)
    /// or before (desc) the sequence number <paramref name="cursor"/>.
    /// </summary>
    /// <remarks>
    /// Ascending is a range scan per lineage segment and reads only the rows it returns. The Table
    /// service scans only ascending, so descending reads windows of sequence numbers backwards from
    /// the thread's next sequence number: each window is a range scan of at most
    /// max(what is left of the page, 16) numbers; deleted messages leave gaps, so a window may
    /// return fewer rows and the next one is read, at most <see cref="ConversationLimits.ListScanBudget"/>
    /// rows per request before a short page with a cursor is returned.
    /// </remarks>
    /// <returns>The page and the cursor for the next one (null at the end).</returns>
    public async Task<(IReadOnlyList<MessageRecord> Items, long? Next)> ListAsync(
        UserPartition user, ThreadRecord thread, bool descending, int limit, long? cursor, CancellationToken cancellationToken)
    {
        long? next = null;
        var rows = await ReadPageAsync(user, thread, async reader =>
        {
            var (page, after) = await ListRowsAsync(reader, thread, descending, limit, cursor, cancellationToken).ConfigureAwait(false);
            next = after;
            return page;
        }).ConfigureAwait(false);
        var items = await Task.WhenAll(rows.Select(r => ReadAsync(r, cancellationToken))).ConfigureAwait(false);
        return (items, next);
    }

    /// <summary>
    /// Every message of the thread (fork ancestry and archive segments included) in sequence order,
    /// for streaming a transcript: rows are read a page of <paramref name="pageSize"/> at a time and
    /// offloaded texts are inflated at most four messages ahead of the caller, so memory holds one
    /// page of rows and four messages, whatever the thread's length.
    /// </summary>
    public async IAsyncEnumerable<MessageRecord> StreamAsync(
        UserPartition user, ThreadRecord thread, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One reader for the whole stream: it keeps the boundaries it learnt and the last segments it read.
        var reader = new MessageReader(table, threads, segments, user, thread);
        long? cursor = null;
        do
        {
            long? next = null;
            var after = cursor;
            var rows = await ReadPageAsync(reader, async current =>
            {
                var (page, following) = await ListRowsAsync(current, thread, descending: false, pageSize, after, cancellationToken).ConfigureAwait(false);
                next = following;
                return page;
            }).ConfigureAwait(false);
            // Inflate a few messages ahead (their blob reads overlap) but never more: memory holds at most that many.
            var ahead = new Queue<Task<MessageRecord>>(StreamReadAhead);
            foreach (var row in rows)
            {
                if (ahead.Count == StreamReadAhead)
                {
                    yield return await ahead.Dequeue().ConfigureAwait(false);
                }

                ahead.Enqueue(ReadAsync(row, cancellationToken));
            }

            while (ahead.Count > 0)
            {
                yield return await ahead.Dequeue().ConfigureAwait(false);
            }

            cursor = next;
        }
        while (cursor is not null);
    }

    private static async Task<(List<TableEntity> Rows, long? Next)> ListRowsAsync(
        MessageReader reader, ThreadRecord thread, bool descending, int limit, long? cursor, CancellationToken cancellationToken)
    {
        var last = thread.NextSequence - 1;
        var ranges = thread.Lineage.Ranges(thread.Id);
        var rows = new List<TableEntity>(limit);
        long? next = null;
        if (!descending)
        {
            var after = cursor ?? 0;
            foreach (var (owner, first, end) in ranges)
            {
                var lo = Math.Max(first, after + 1);
                var hi = Math.Min(end, last);
                if (lo > hi)
                {
                    continue;
                }

                rows.AddRange(await reader.ReadAsync(owner, lo, hi, limit - rows.Count, cancellationToken).ConfigureAwait(false));
                if (rows.Count == limit)
                {
                    var lastTaken = MessageEntities.SequenceOf(rows[^1]);
                    next = lastTaken < last ? lastTaken : null;
                    break;
                }
            }
        }
        else
        {
            var before = Math.Min(cursor ?? last + 1, last + 1);
            var scanned = 0;
            for (var r = ranges.Count - 1; r >= 0 && rows.Count < limit; r--)
            {
                var (owner, first, end) = ranges[r];
                var hi = Math.Min(end, before - 1);
                while (hi >= first && rows.Count < limit)
                {
                    if (scanned >= ConversationLimits.ListScanBudget)
                    {
                        next = hi + 1;
                        break;
                    }

                    var window = Math.Max(limit - rows.Count, 16);
                    var lo = Math.Max(first, hi - window + 1);
                    var page = await reader.ReadAsync(owner, lo, hi, (int)(hi - lo + 1), cancellationToken).ConfigureAwait(false);
                    scanned += (int)(hi - lo + 1);
                    page.Reverse();
                    var take = Math.Min(limit - rows.Count, page.Count);
                    rows.AddRange(page.Take(take));
                    before = take < page.Count ? MessageEntities.SequenceOf(rows[^1]) : lo;
                    hi = lo - 1;
                }

                if (next is not null)
                {
                    break;
                }
            }

            if (next is null && rows.Count == limit && before > 1)
            {
                next = before;
            }
        }

        return (rows, next);
    }

    /// <summary>Runs one page read, again with what was learnt when an archive or unarchive moved under it.</summary>
    private Task<List<TableEntity>> ReadPageAsync(UserPartition user, ThreadRecord thread, Func<MessageReader, Task<List<TableEntity>>> read) =>
        ReadPageAsync(new MessageReader(table, threads, segments, user, thread), read);

    /// <inheritdoc cref="ReadPageAsync(UserPartition, ThreadRecord, Func{MessageReader, Task{List{TableEntity}}})"/>
    private static async Task<List<TableEntity>> ReadPageAsync(MessageReader reader, Func<MessageReader, Task<List<TableEntity>>> read)
    {
        for (var restart = 0; ; restart++)
        {
            try
            {
                return await read(reader).ConfigureAwait(false);
            }
            catch (BoundaryMovedException) when (restart < MaxReadRestarts)
            {
                reader.Restart();
            }
            catch (BoundaryMovedException)
            {
                throw new StorageException(503, "ServerBusy", "The thread is being archived or unarchived; retry shortly.");
            }
        }
    }

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

    /// <summary>The blob name prefix of a thread's offloaded message texts: under the user's prefix, as the orphan check expects.</summary>
    public static string BlobPrefix(UserPartition user, string threadId) => $"{user.Key}/msg/{threadId}";

    private static void EnsureOwn(ThreadRecord thread, long sequence)
    {
        if (sequence < thread.Lineage.FirstOwnSequence)
        {
            throw new InvalidOperationException("The message belongs to the thread this one was forked from.");
        }
    }

    /// <summary>The filter of a thread's message rows <paramref name="lo"/>..<paramref name="hi"/>.</summary>
    internal static string Range(UserPartition user, string threadId, long lo, long hi) =>
        ODataFilter.Create($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.ForMessage(threadId, lo)} and RowKey le {UserRowKeys.ForMessage(threadId, hi)}");

    private async Task<AppendResult> ReplayAsync(UserPartition user, ThreadRecord thread, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        // A client id was taken. It is a retry of this append only if every client id maps to the
        // sequence number its position implies (the append was atomic, so all or none were written).
        var withIds = messages.Select((m, i) => (m.ClientMessageId, Index: i)).Where(x => x.ClientMessageId is not null).ToList();
        var found = await Task.WhenAll(withIds.Select(x => table.GetAsync(user.Key, UserRowKeys.ForMessageId(thread.Id, x.ClientMessageId!), cancellationToken: cancellationToken))).ConfigureAwait(false);
        var firsts = found.Select((row, k) => row?.GetInt64("Seq") is { } seq ? seq - withIds[k].Index : (long?)null).Distinct().ToList();
        if (firsts is not [{ } first])
        {
            throw new ClientMessageIdConflictException("Some client message ids were used by other messages of this thread.");
        }

        var current = await threads.GetAsync(user, thread.Id, cancellationToken).ConfigureAwait(false) ?? thread;
        var stored = new List<MessageRecord>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = await GetAsync(user, current, first + i, cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                throw new ClientMessageIdConflictException("The messages those client ids name have since been deleted.");
            }

            stored.Add(message);
        }

        return new AppendResult(current, stored, Replayed: true);
    }

    private async Task<MessageRecord> ReadAsync(TableEntity row, CancellationToken cancellationToken)
    {
        var content = MessageEntities.Reference(row, MessageEntities.Content) is { } c
            ? await payloads.ReadAllTextAsync(c, cancellationToken).ConfigureAwait(false)
            : row.GetString(MessageEntities.Content);
        var toolCalls = MessageEntities.Reference(row, MessageEntities.ToolCalls) is { } t
            ? await payloads.ReadAllTextAsync(t, cancellationToken).ConfigureAwait(false)
            : row.GetString(MessageEntities.ToolCalls);
        return MessageEntities.ToRecord(row, content, toolCalls);
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

    /// <summary>
    /// Decides which texts go to blobs (over <see cref="ConversationLimits.InlineMaxChars"/>, then
    /// the largest until the append's worst-case size fits <see cref="ConversationLimits.BatchBudgetBytes"/>)
    /// and uploads them.
    /// </summary>
    private async Task<(PayloadReference?[] Content, PayloadReference?[] ToolCalls)> OffloadAsync(
        UserPartition user, string threadId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        var offload = new bool[messages.Count, 2];
        long estimate = 0;
        var inline = new List<(int Message, int Field, int Length)>();
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            var probe = MessageEntities.Row(user, threadId, long.MaxValue / 10, m with { Content = null, ToolCallsJson = null }, null, null, DateTimeOffset.UnixEpoch);
            estimate += (EntityLimits.SizeOf(probe) * ConversationLimits.EscapeFactor) + (2 * ConversationLimits.OperationOverheadBytes);
            foreach (var (field, text) in new[] { (0, m.Content), (1, m.ToolCallsJson) })
            {
                if (text is null)
                {
                    continue;
                }

                if (text.Length > ConversationLimits.InlineMaxChars)
                {
                    offload[i, field] = true;
                    estimate += 2048; // the reference, sizes, hash and preview
                }
                else
                {
                    inline.Add((i, field, text.Length));
                    estimate += (long)text.Length * 2 * ConversationLimits.EscapeFactor;
                }
            }
        }

        foreach (var (message, field, length) in inline.OrderByDescending(x => x.Length))
        {
            if (estimate <= ConversationLimits.BatchBudgetBytes)
            {
                break;
            }

            offload[message, field] = true;
            estimate += 2048 - ((long)length * 2 * ConversationLimits.EscapeFactor);
        }

        var content = new PayloadReference?[messages.Count];
        var toolCalls = new PayloadReference?[messages.Count];
        var prefix = BlobPrefix(user, threadId);
        var uploads = new List<Task>();
        for (var i = 0; i < messages.Count; i++)
        {
            var index = i;
            if (offload[i, 0])
            {
                uploads.Add(Upload(messages[i].Content!, "text/plain; charset=utf-8", r => content[index] = r));
            }

            if (offload[i, 1])
            {
                uploads.Add(Upload(messages[i].ToolCallsJson!, "application/json", r => toolCalls[index] = r));
            }
        }

        await Task.WhenAll(uploads).ConfigureAwait(false);
        return (content, toolCalls);

        async Task Upload(string text, string contentType, Action<PayloadReference> keep)
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
            keep(await payloads.WriteAsync(prefix, stream, contentType, cancellationToken).ConfigureAwait(false));
        }
    }
}
