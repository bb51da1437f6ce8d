using Azure.Data.Tables;
using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Thread rows (<c>thread|{id}</c>) with their activity (<c>recent|…</c>) and creation
/// (<c>created|…</c>) rows, always written together in one transaction under the thread row's ETag,
/// so the list rows never disagree with the thread for longer than no time at all. A soft delete first
/// schedules the thread's purge in the expiry index (<see cref="RetentionRules.DeletedThread"/>).
/// </summary>
public sealed class ThreadStore(TableClient table, TimeProvider time, ExpiryIndex expiry)
{
    /// <summary>The expiry index thread and message writes schedule retention in.</summary>
    internal ExpiryIndex Expiry => expiry;

    /// <summary>
    /// Creates a thread (and its list rows), plus <paramref name="extra"/> (e.g. an idempotency
    /// record) in the same transaction.
    /// </summary>
    /// <returns>The thread with its ETag.</returns>
    /// <exception cref="RequestFailedException">409 with <see cref="StorageWrites.FailedActionIndex"/> 0 when the id is taken; at index 3 when <paramref name="extra"/> conflicts.</exception>
    public async Task<ThreadRecord> CreateAsync(UserPartition user, ThreadRecord thread, TableTransactionAction? extra, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, ThreadEntities.ThreadRow(user, thread)),
            new(TableTransactionActionType.Add, ThreadEntities.RecentRow(user, thread)),
            new(TableTransactionActionType.Add, ThreadEntities.CreatedRow(user, thread)),
        };
        if (extra is not null)
        {
            actions.Add(extra);
        }

        var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
        return thread with { ETag = etags[0] ?? default };
    }

    /// <summary>Reads a thread, deleted or not; null when it does not exist.</summary>
    public async Task<ThreadRecord?> GetAsync(UserPartition user, string threadId, CancellationToken cancellationToken)
    {
        var entity = await table.FindAsync(user.Key, UserRowKeys.ForThread(threadId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : ThreadEntities.ToRecord(entity);
    }

    /// <summary>
    /// Changes a thread: reads it, applies <paramref name="change"/> (null from it means "not
    /// found" to the caller, e.g. a deleted thread), and writes thread, activity and creation rows
    /// together under the read ETag. Without <paramref name="ifMatch"/> a lost race re-reads and
    /// re-applies; with it, a changed thread fails. A change that deletes the thread schedules its purge
    /// first; a thread retention has begun to purge is never changed (so never restored).
    /// </summary>
    /// <returns>The updated thread, or null when it does not exist or <paramref name="change"/> refused it.</returns>
    /// <exception cref="RequestFailedException">412 when <paramref name="ifMatch"/> is not the current version.</exception>
    public async Task<ThreadRecord?> UpdateAsync(UserPartition user, string threadId, ETag? ifMatch, Func<ThreadRecord, DateTimeOffset, ThreadRecord?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
            if (current is null || current.PurgedAt is not null)
            {
                return null;
            }

            if (ifMatch is { } expected && expected != ETag.All && expected != current.ETag)
            {
                throw new RequestFailedException(412, "The thread has changed.", "UpdateConditionNotSatisfied", null);
            }

            var now = time.GetUtcNow();
            if (change(current, now) is not { } updated)
            {
                return null;
            }

            updated = updated with { UpdatedAt = now };
            if (updated.DeletedAt is { } deletedAt && current.DeletedAt is null)
            {
                // Index first: if the delete then fails, the sweep finds a live thread and drops the entry.
                await expiry.ScheduleAsync(user, RetentionRules.DeletedThread, threadId, deletedAt, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                var etags = await table.SubmitAsync(
                    [
                        new(TableTransactionActionType.UpdateReplace, ThreadEntities.ThreadRow(user, updated), current.ETag),
                        new(TableTransactionActionType.UpsertReplace, ThreadEntities.RecentRow(user, updated)),
                        new(TableTransactionActionType.UpsertReplace, ThreadEntities.CreatedRow(user, updated)),
                    ],
                    cancellationToken).ConfigureAwait(false);
                return updated with { ETag = etags[0] ?? default };
            }
            catch (RequestFailedException e) when (e.Status == 412 && (ifMatch is null || ifMatch == ETag.All) && attempt < ConversationLimits.MaxAppendAttempts)
            {
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One page of threads, newest first by <paramref name="order"/>, resuming after the row
    /// <paramref name="afterRowKey"/> of an earlier page.
    /// </summary>
    /// <remarks>
    /// Cost: the filter is applied to rows as they are read, so a page costs the rows scanned, not
    /// the rows returned. The scan stops after <see cref="ConversationLimits.ListScanBudget"/> rows
    /// and returns a short (even empty) page with a cursor, so one request reads at most
    /// 500 rows (plus, by creation, one point read per returned thread) whatever the number of threads.
    /// </remarks>
    /// <returns>The page and the row to resume after, or null at the end.</returns>
    public async Task<(IReadOnlyList<ThreadRecord> Items, string? NextAfter)> ListAsync(
        UserPartition user, ThreadOrder order, ThreadFilter filter, int limit, string? afterRowKey, CancellationToken cancellationToken)
    {
        var prefix = order == ThreadOrder.Recent ? UserRowKeys.Recents : UserRowKeys.CreatedRows;
        var range = TableFilters.RowKeyStartsWith(user.Key, prefix);
        var query = afterRowKey is null ? range : TableFilters.And(range, TableClient.CreateQueryFilter($"RowKey gt {afterRowKey}"));
        var matches = new List<TableEntity>(limit);
        var scanned = 0;
        string? lastScanned = afterRowKey;
        string? continuation = null;
        var exhausted = false;
        var unfiltered = filter is { Archived: null, Starred: null, Deleted: false };
        while (matches.Count < limit && scanned < ConversationLimits.ListScanBudget)
        {
            // Ask for what is left of the page (unfiltered) or of the budget (filtered), at most 100 rows per request.
            var want = Math.Min(100, ConversationLimits.ListScanBudget - scanned);
            if (unfiltered)
            {
                want = Math.Min(want, limit - matches.Count);
            }

            var page = await table.ReadPageAsync(query, want, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
            var consumedAll = true;
            for (var i = 0; i < page.Entities.Count; i++)
            {
                var row = page.Entities[i];
                scanned++;
                lastScanned = row.RowKey;
                if (ThreadEntities.Matches(row, filter))
                {
                    matches.Add(row);
                }

                if (matches.Count == limit && i < page.Entities.Count - 1)
                {
                    consumedAll = false;
                    break;
                }
            }

            if (consumedAll && page.Continuation is null)
            {
                exhausted = true;
                break;
            }

            continuation = page.Continuation;
        }

        IReadOnlyList<ThreadRecord> items = order == ThreadOrder.Recent
            ? matches.Select(ThreadEntities.ToRecord).ToList()
            : (await Task.WhenAll(matches.Select(m => GetAsync(user, ThreadEntities.ThreadIdOf(m), cancellationToken))).ConfigureAwait(false))
                .OfType<ThreadRecord>().ToList();
        return (items, exhausted ? null : lastScanned);
    }
}
