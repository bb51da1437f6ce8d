using Azure.Data.Tables;
using System.Text;
using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Usage;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Message rows (<c>msg|{threadId}|{seq}</c>) and client-id rows (<c>msgid|{threadId}|{id}</c>).
/// An append is one entity group transaction: the messages, their client-id rows, the thread row
/// (counters and next sequence number, under its ETag) and the move of its activity row. Losing
/// the race for the ETag re-reads and retries, so sequence numbers are dense and unique.
/// Archived messages live in segments instead of rows (<see cref="ThreadArchiver"/>); reads
/// (MessageStore.Reading.cs) and deletes and redactions (MessageStore.Changes.cs) handle both.
/// </summary>
public sealed partial class MessageStore(TableClient table, ThreadStore threads, PayloadStore payloads, TimeProvider time)
{
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
        var reportsUsage = ConversationLimits.UsageRollupOperations(messages.Select(m => (m.Model, m.PromptTokens is not null || m.CompletionTokens is not null || m.Cost is not null))) > 0;
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            var rollupsRead = reportsUsage ? ReadRollupsAsync(user, now, cancellationToken) : null;
            var thread = await threads.GetAsync(user, threadId, cancellationToken).ConfigureAwait(false);
            var rollups = rollupsRead is null ? null : await rollupsRead.ConfigureAwait(false);
            if (thread is null || thread.IsDeleted)
            {
                return null;
            }

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
                new(TableTransactionActionType.UpdateReplace, ThreadEntities.ThreadRow(user, updated), thread.ETag),
                new(TableTransactionActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForRecent(thread.LastActivityAt, threadId)), ETag.All),
                new(TableTransactionActionType.Add, ThreadEntities.RecentRow(user, updated)),
            };
            var rows = new List<TableEntity>(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                var row = MessageEntities.Row(user, threadId, first + i, messages[i], contentBlobs[i], toolCallBlobs[i], now);
                rows.Add(row);
                actions.Add(new(TableTransactionActionType.Add, row));
            }

            if (rollups is not null)
            {
                // Usage is counted in the same transaction as the messages that report it (UsageChanges).
                var changes = new UsageChanges();
                foreach (var m in messages.Where(m => m.ReportsUsage))
                {
                    changes.Add(now, m.Model, null, isMessage: true, m.PromptTokens ?? 0, m.CompletionTokens ?? 0, m.Cost ?? 0, 0);
                }

                actions.AddRange(changes.Actions(user, rollups));
            }

            var clientIdStart = actions.Count;
            for (var i = 0; i < messages.Count; i++)
            {
                if (messages[i].ClientMessageId is { } clientId)
                {
                    actions.Add(new(TableTransactionActionType.Add, MessageEntities.ClientIdRow(user, threadId, clientId, first + i)));
                }
            }

            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                var records = rows.Select((r, i) => MessageEntities.ToRecord(r, messages[i].Content, messages[i].ToolCallsJson)).ToList();
                return new AppendResult(updated with { ETag = etags[0] ?? default }, records, Replayed: false);
            }
            catch (RequestFailedException e) when (e.Status == 409 && e.FailedActionIndex() >= clientIdStart)
            {
                return await ReplayAsync(user, thread, messages, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404 or 409 && attempt < ConversationLimits.MaxAppendAttempts)
            {
                // Another append (or a thread update) won the thread row's ETag: re-read and go again.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The day's usage rollup rows, after making sure retention will look at them once the day has expired.</summary>
    private async Task<Dictionary<string, TableEntity>> ReadRollupsAsync(UserPartition user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await threads.Expiry.ScheduleRowsAsync(user, RetentionRules.Usage, new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1).AddTicks(-1), cancellationToken).ConfigureAwait(false);
        var day = UserRowKeys.Day(now);
        return await UsageRollups.ReadDaysAsync(table, user, day, day, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The blob name prefix of a thread's offloaded message texts: under the user's prefix, as the orphan check expects.</summary>
    public static string BlobPrefix(UserPartition user, string threadId) => UserBlobNames.Folder(user.Key, UserBlobNames.Messages, threadId);

    /// <summary>The filter of a thread's message rows <paramref name="lo"/>..<paramref name="hi"/>.</summary>
    internal static string Range(UserPartition user, string threadId, long lo, long hi) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.ForMessage(threadId, lo)} and RowKey le {UserRowKeys.ForMessage(threadId, hi)}");

    private async Task<AppendResult> ReplayAsync(UserPartition user, ThreadRecord thread, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken)
    {
        // A client id was taken. It is a retry of this append only if every client id maps to the
        // sequence number its position implies (the append was atomic, so all or none were written).
        var withIds = messages.Select((m, i) => (m.ClientMessageId, Index: i)).Where(x => x.ClientMessageId is not null).ToList();
        var found = await Task.WhenAll(withIds.Select(x => table.FindAsync(user.Key, UserRowKeys.ForMessageId(thread.Id, x.ClientMessageId!), cancellationToken: cancellationToken))).ConfigureAwait(false);
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

    /// <summary>
    /// Decides which texts go to blobs (over <see cref="ConversationLimits.InlineMaxChars"/>, then
    /// the largest until the append's worst-case size fits <see cref="ConversationLimits.BatchBudgetBytes"/>)
    /// and uploads them.
    /// </summary>
    internal async Task<(PayloadReference?[] Content, PayloadReference?[] ToolCalls)> OffloadAsync(
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
