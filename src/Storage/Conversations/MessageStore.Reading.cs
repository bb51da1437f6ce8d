using Azure;
using Azure.Data.Tables;
using System.Runtime.CompilerServices;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>Reading messages: one, a page in either order, or all of them as a stream; from rows and archive segments alike.</summary>
public sealed partial class MessageStore
{
    /// <summary>Times a page is read again because a concurrent archive or unarchive moved under it, before giving up with 503.</summary>
    private const int MaxReadRestarts = 5;

    /// <summary>Messages a transcript stream inflates ahead of the one it hands out.</summary>
    private const int StreamReadAhead = 4;

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
    /// page of rows, four messages and, for archived messages, the last four segments read (each at
    /// most a transaction's byte budget), whatever the thread's length.
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
                throw new RequestFailedException(503, "The thread is being archived or unarchived; retry shortly.", "ServerBusy", null);
            }
        }
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
}
