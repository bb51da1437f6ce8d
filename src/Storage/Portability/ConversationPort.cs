using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Usage;
using Serverless.Storage.Users;

namespace Serverless.Storage.Portability;

/// <summary>A message as an import writes it: its place, content and original time.</summary>
/// <param name="Sequence">Its sequence number in the thread.</param>
/// <param name="Message">Its content (validated).</param>
/// <param name="CreatedAt">When it was first appended.</param>
/// <param name="Redacted">Whether its content was redacted.</param>
public sealed record ImportedMessage(long Sequence, NewMessage Message, DateTimeOffset CreatedAt, bool Redacted);

/// <summary>
/// Threads and messages as exports read them and imports write them, keeping ids, sequence numbers and times.
/// An import writes a thread's message rows first (a thread without its row is visible nowhere: every route answers
/// 404 and no list shows it) and its thread and list rows last, in one transaction, so a thread appears whole.
/// </summary>
public sealed class ConversationPort(TableClient table, MessageStore messages, ExpiryIndex expiry)
{
    private const int RowsPerTransaction = 100;

    private const int MaxAttempts = 50;

    /// <summary>Every thread id of the user with its fork depth, parents before forks then by id (one projected scan).</summary>
    public async Task<IReadOnlyList<string>> ThreadOrderAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var rows = await table.ReadAllAsync(UserDataKinds.Thread.Filter(user), select: ["RowKey", "Lineage"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows
            .Select(r => (Id: ThreadEntities.ThreadIdOfKey(r.RowKey), Depth: ThreadLineage.Parse(r.GetString("Lineage")).Ancestors.Count))
            .OrderBy(t => t.Depth).ThenBy(t => t.Id, StringComparer.Ordinal)
            .Select(t => t.Id).ToList();
    }

    /// <summary>
    /// The thread's own messages (not those a fork inherits) below <paramref name="thread"/>'s next sequence number as
    /// read: messages of a batch committed after the thread row was read all lie above it, so a batch is never half in.
    /// </summary>
    public async IAsyncEnumerable<MessageRecord> OwnMessagesAsync(UserPartition user, ThreadRecord thread, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(thread);
        await foreach (var m in messages.StreamAsync(user, thread, 100, cancellationToken).ConfigureAwait(false))
        {
            if (m.ThreadId == thread.Id && m.Sequence >= thread.Lineage.FirstOwnSequence && m.Sequence < thread.NextSequence)
            {
                yield return m;
            }
        }
    }

    /// <summary>
    /// Removes a thread's own messages before an overwrite: message and client-id rows (the texts they reference become
    /// orphans for the sweep). A thread whose messages are archived is refused (<see cref="InvalidOperationException"/>).
    /// </summary>
    public async Task ClearOwnMessagesAsync(UserPartition user, ThreadRecord thread, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(thread);
        if (thread.HasSealed)
        {
            throw new InvalidOperationException("its messages are archived; unarchive it (PATCH archived: false) before overwriting it");
        }

        foreach (var prefix in new[] { UserRowKeys.MessagesOf(thread.Id), KeyEncoding.Compose(UserRowKeys.MessageId, thread.Id, string.Empty) })
        {
            var rows = await table.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, prefix), select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var chunk in rows.Chunk(RowsPerTransaction))
            {
                await table.SubmitAsync([.. chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user.Key, r.RowKey), ETag.All))], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Writes message rows (and client-id rows) of <paramref name="threadId"/> with their own sequence numbers and times,
    /// replacing rows already there (a resumed import writes the same rows again). Large texts go to blobs first, as
    /// appends do. A message that was not there and reports usage is counted in the usage rollups of the day it was
    /// appended, in the transaction that adds its row, as an append counts it: a resumed import counts it once.
    /// </summary>
    public async Task WriteMessagesAsync(UserPartition user, string threadId, IReadOnlyList<ImportedMessage> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (contentBlobs, toolCallBlobs) = await messages.OffloadAsync(user, threadId, [.. batch.Select(m => m.Message)], cancellationToken).ConfigureAwait(false);
        var pending = new List<(ImportedMessage Message, TableEntity Row)>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var m = batch[i];
            var row = MessageEntities.Row(user, threadId, m.Sequence, m.Message, contentBlobs[i], toolCallBlobs[i], m.CreatedAt);
            if (m.Redacted)
            {
                MessageEntities.Redact(row);
            }

            pending.Add((m, row));
        }

        foreach (var day in batch.Where(m => m.Message.ReportsUsage).Select(m => m.CreatedAt.UtcDateTime.Date).Distinct())
        {
            await expiry.ScheduleRowsAsync(user, RetentionRules.Usage, new DateTimeOffset(day, TimeSpan.Zero).AddDays(1).AddTicks(-1), cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            var existing = await ExistingRowsAsync(user, threadId, pending.Min(p => p.Message.Sequence), pending.Max(p => p.Message.Sequence), cancellationToken).ConfigureAwait(false);
            var (actions, taken) = await MessageActionsAsync(user, threadId, pending, existing, cancellationToken).ConfigureAwait(false);
            try
            {
                await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                pending.RemoveRange(0, taken);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < MaxAttempts)
            {
                // A rollup row changed under us (an append or event batch of the same day): read again and rebuild.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The longest prefix of <paramref name="pending"/> whose rows fit one transaction with the usage they add: new rows
    /// added (a row there is replaced and not counted again), the day rollups of the new ones replaced under their ETags.
    /// </summary>
    private async Task<(List<TableTransactionAction> Actions, int Taken)> MessageActionsAsync(
        UserPartition user, string threadId, List<(ImportedMessage Message, TableEntity Row)> pending, HashSet<string> existing, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction>(RowsPerTransaction);
        var changes = new UsageChanges();
        var rollupRows = new HashSet<string>(StringComparer.Ordinal);
        var taken = 0;
        foreach (var (m, row) in pending)
        {
            var isNew = !existing.Contains(row.RowKey);
            var counted = isNew && m.Message.ReportsUsage ? UsageChanges.RowsOf(m.CreatedAt, m.Message.Model, null).Where(r => !rollupRows.Contains(r)).ToList() : [];
            var size = 1 + (m.Message.ClientMessageId is null ? 0 : 1) + counted.Count;
            if (taken > 0 && actions.Count + rollupRows.Count + size > RowsPerTransaction)
            {
                break;
            }

            actions.Add(new(isNew ? TableTransactionActionType.Add : TableTransactionActionType.UpsertReplace, row));
            if (m.Message.ClientMessageId is { } clientId)
            {
                actions.Add(new(TableTransactionActionType.UpsertReplace, MessageEntities.ClientIdRow(user, threadId, clientId, m.Sequence)));
            }

            if (isNew && m.Message.ReportsUsage)
            {
                var n = m.Message;
                changes.Add(m.CreatedAt, n.Model, null, isMessage: true, n.PromptTokens ?? 0, n.CompletionTokens ?? 0, n.Cost ?? 0, 0);
                rollupRows.UnionWith(counted);
            }

            taken++;
        }

        if (changes.Count > 0)
        {
            var days = changes.Days.Order(StringComparer.Ordinal).ToList();
            var rollups = await UsageRollups.ReadDaysAsync(table, user, days[0], days[^1], cancellationToken).ConfigureAwait(false);
            actions.AddRange(changes.Actions(user, rollups));
        }

        return (actions, taken);
    }

    /// <summary>The row keys of the thread's message rows from <paramref name="first"/> to <paramref name="last"/> already there: one range query.</summary>
    private async Task<HashSet<string>> ExistingRowsAsync(UserPartition user, string threadId, long first, long last, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.ForMessage(threadId, first)} and RowKey le {UserRowKeys.ForMessage(threadId, last)}");
        var rows = await table.ReadAllAsync(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes the thread row with its list rows in one transaction, replacing <paramref name="existing"/>'s (an overwrite)
    /// or creating them; a deleted thread's purge is scheduled first, counted from now (its restore window starts at the import).
    /// </summary>
    public async Task CommitThreadAsync(UserPartition user, ThreadRecord thread, ThreadRecord? existing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(thread);
        if (thread.DeletedAt is not null)
        {
            await expiry.ScheduleAsync(user, RetentionRules.DeletedThread, thread.Id, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
        }

        var recent = ThreadEntities.RecentRow(user, thread);
        var created = ThreadEntities.CreatedRow(user, thread);
        var actions = new List<TableTransactionAction>();
        if (existing is not null)
        {
            foreach (var old in new[] { UserRowKeys.ForRecent(existing.LastActivityAt, existing.Id), UserRowKeys.ForCreated(existing.CreatedAt, existing.Id) })
            {
                if (old != recent.RowKey && old != created.RowKey)
                {
                    actions.Add(new(TableTransactionActionType.Delete, new TableEntity(user.Key, old), ETag.All));
                }
            }
        }

        actions.Add(new(TableTransactionActionType.UpsertReplace, ThreadEntities.ThreadRow(user, thread)));
        actions.Add(new(TableTransactionActionType.UpsertReplace, recent));
        actions.Add(new(TableTransactionActionType.UpsertReplace, created));
        try
        {
            await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404 && existing is not null)
        {
            // An old list row was already gone (a resumed import): write without the deletes.
            await table.SubmitAsync(actions.Where(a => a.ActionType != TableTransactionActionType.Delete).ToList(), cancellationToken).ConfigureAwait(false);
        }

    }
}
