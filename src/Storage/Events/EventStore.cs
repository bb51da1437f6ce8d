using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Usage;
using Serverless.Storage.Users;

namespace Serverless.Storage.Events;

/// <summary>An event to store: the client's id and time identify it (a retry with both is recognised and not counted again).</summary>
/// <param name="Id">The client's id for the event.</param>
/// <param name="Type">Its type, e.g. <c>search</c> or <c>model.call</c>.</param>
/// <param name="Time">When it happened (UTC).</param>
/// <param name="PropertiesJson">A small JSON object of properties, or null.</param>
/// <param name="Model">The model it used, or null.</param>
/// <param name="PromptTokens">Prompt tokens, or null.</param>
/// <param name="CompletionTokens">Completion tokens, or null.</param>
/// <param name="Cost">Cost, or null.</param>
/// <param name="DurationMs">Duration in milliseconds, or null.</param>
/// <param name="ThreadId">The thread it belongs to, or null.</param>
public sealed record NewEvent(string Id, string Type, DateTimeOffset Time, string? PropertiesJson, string? Model, long? PromptTokens, long? CompletionTokens, double? Cost, long? DurationMs, string? ThreadId);

/// <summary>A stored event.</summary>
/// <param name="Event">What was sent.</param>
/// <param name="ReceivedAt">When it was stored.</param>
public sealed record EventRecord(NewEvent Event, DateTimeOffset ReceivedAt);

/// <summary>What an event batch stored.</summary>
/// <param name="Stored">Events stored by this call (and counted in the rollups).</param>
/// <param name="Duplicates">Events already stored (by an earlier try of the same batch): neither stored nor counted again.</param>
public sealed record EventBatchResult(int Stored, int Duplicates);

/// <summary>
/// Append-only events (<c>evt|{invertedTicks}|{eventId}</c>, newest first) and the usage rollups they feed. A batch is
/// split into entity group transactions of at most 100 operations, each holding its events AND the rollup changes that
/// count exactly those events, so a batch retried after a partial failure stores and counts each event once: an event
/// already stored makes its transaction fail with 409 at that event, which is then left out (a duplicate) and the rest
/// sent again with rollup changes that no longer count it.
/// </summary>
public sealed class EventStore(TableClient table, ExpiryIndex expiry, TimeProvider time)
{
    /// <summary>The column holding the event's time, which its retention counts from.</summary>
    public const string TimeColumn = "Time";

    /// <summary>Events one request may send.</summary>
    public const int MaxBatch = 500;

    private const int MaxAttempts = 50;

    /// <summary>The filter of a user's events at or before <paramref name="cutoff"/>: what retention purges.</summary>
    public static string AtOrBefore(UserPartition user, DateTimeOffset cutoff) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.EventsFrom(cutoff)} and RowKey lt {TableFilters.PrefixSuccessor(UserRowKeys.Events)}");

    /// <summary>Stores a batch (validated: 1 to <see cref="MaxBatch"/> events, (time, id) pairs distinct) and counts the new ones in the rollups.</summary>
    public Task<EventBatchResult> AppendAsync(UserPartition user, IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = time.GetUtcNow();
        return StoreAsync(user, [.. events.Select(e => new EventRecord(e, now))], cancellationToken);
    }

    /// <summary>
    /// Stores events with the times they were first received (an import), exactly as <see cref="AppendAsync"/> stores
    /// a batch: an event already there (same id and time) is a duplicate, neither stored nor counted again.
    /// </summary>
    public Task<EventBatchResult> ImportAsync(UserPartition user, IReadOnlyList<EventRecord> events, CancellationToken cancellationToken) =>
        StoreAsync(user, events, cancellationToken);

    private async Task<EventBatchResult> StoreAsync(UserPartition user, IReadOnlyList<EventRecord> records, CancellationToken cancellationToken)
    {
        var events = records.Select(r => r.Event).ToList();
        var receivedAt = records.ToDictionary(r => UserRowKeys.ForEvent(r.Event.Time, r.Event.Id), r => r.ReceivedAt, StringComparer.Ordinal);
        // Index first (design.md §3): the hour of the newest event covers every event of the batch, each usage day its end.
        await expiry.ScheduleRowsAsync(user, RetentionRules.Events, events.Max(e => e.Time), cancellationToken).ConfigureAwait(false);
        foreach (var day in events.Select(e => e.Time.UtcDateTime.Date).Distinct())
        {
            await expiry.ScheduleRowsAsync(user, RetentionRules.Usage, new DateTimeOffset(day, TimeSpan.Zero).AddDays(1).AddTicks(-1), cancellationToken).ConfigureAwait(false);
        }

        var pending = events.OrderByDescending(e => e.Time).ToList();
        var (firstDay, lastDay) = (UserRowKeys.Day(pending[^1].Time), UserRowKeys.Day(pending[0].Time));
        var rollups = await UsageRollups.ReadDaysAsync(table, user, firstDay, lastDay, cancellationToken).ConfigureAwait(false);
        int stored = 0, duplicates = 0;
        HashSet<string>? existing = null;
        for (var attempt = 1; pending.Count > 0;)
        {
            var chunk = Chunk(pending);
            var changes = new UsageChanges();
            var actions = new List<TableTransactionAction>(100);
            foreach (var e in chunk)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, Row(user, e, receivedAt[UserRowKeys.ForEvent(e.Time, e.Id)])));
                changes.Add(e.Time, e.Model, e.Type, isMessage: false, e.PromptTokens ?? 0, e.CompletionTokens ?? 0, e.Cost ?? 0, e.DurationMs ?? 0);
            }

            var rollupActions = changes.Actions(user, rollups);
            actions.AddRange(rollupActions);
            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < rollupActions.Count; i++)
                {
                    var row = (TableEntity)rollupActions[i].Entity;
                    row.ETag = etags[chunk.Count + i] ?? default;
                    rollups[row.RowKey] = row;
                }

                stored += chunk.Count;
                pending.RemoveRange(0, chunk.Count);
            }
            catch (RequestFailedException e) when (e.Status == 409 && e.FailedActionIndex() is { } index && index < chunk.Count)
            {
                // Stored before: by an earlier try of this batch (or an earlier batch). Leave out every event of the
                // batch that is there (one range read over the batch's time span), then send the rest again.
                existing ??= await ExistingAsync(user, events, cancellationToken).ConfigureAwait(false);
                var removed = pending.RemoveAll(p => existing.Contains(UserRowKeys.ForEvent(p.Time, p.Id)));
                if (removed == 0)
                {
                    // Stored since that read (a concurrent try of the same batch): leave out the one the service named.
                    pending.Remove(chunk[index]);
                    removed = 1;
                }

                duplicates += removed;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404 && attempt++ < MaxAttempts)
            {
                // A concurrent writer changed a rollup row: read the days again and rebuild the chunk's changes.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
                rollups = await UsageRollups.ReadDaysAsync(table, user, firstDay, lastDay, cancellationToken).ConfigureAwait(false);
            }
        }

        return new EventBatchResult(stored, duplicates);
    }

    /// <summary>
    /// One page of events, newest first, optionally of one type and within [<paramref name="from"/>, <paramref name="to"/>).
    /// At most <see cref="BoundedPages.MaxRequests"/> service requests: a rare type may give a short page with a cursor.
    /// </summary>
    public async Task<(IReadOnlyList<EventRecord> Items, string? Continuation)> ListAsync(
        UserPartition user, string? type, DateTimeOffset? from, DateTimeOffset? to, int limit, string? continuation, CancellationToken cancellationToken)
    {
        var lower = to is { } end ? UserRowKeys.EventsFrom(end.AddTicks(-1)) : UserRowKeys.Events;
        var upper = from is { } start ? UserRowKeys.EventsFrom(start.AddTicks(-1)) : TableFilters.PrefixSuccessor(UserRowKeys.Events)!;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {lower} and RowKey lt {upper}");
        if (type is not null)
        {
            filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"Type eq {type}"));
        }

        var page = await BoundedPages.ReadAsync(table, filter, limit, continuation, cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToRecord).ToList(), page.Continuation);
    }

    /// <summary>The longest prefix of <paramref name="pending"/> whose events and rollup rows fit one transaction.</summary>
    private static List<NewEvent> Chunk(List<NewEvent> pending)
    {
        var rows = new HashSet<string>(StringComparer.Ordinal);
        var chunk = new List<NewEvent>();
        foreach (var e in pending)
        {
            var added = UsageChanges.RowsOf(e.Time, e.Model, e.Type).Where(r => !rows.Contains(r)).ToList();
            if (chunk.Count + 1 + rows.Count + added.Count > 100)
            {
                break;
            }

            chunk.Add(e);
            rows.UnionWith(added);
        }

        return chunk;
    }

    private async Task<HashSet<string>> ExistingAsync(UserPartition user, IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        var newest = events.Max(e => e.Time);
        var oldest = events.Min(e => e.Time);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey ge {UserRowKeys.EventsFrom(newest)} and RowKey lt {UserRowKeys.EventsFrom(oldest.AddTicks(-1))}");
        var rows = await table.ReadAllAsync(filter, ["RowKey"], cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
    }

    private static TableEntity Row(UserPartition user, NewEvent e, DateTimeOffset receivedAt) => new(user.Key, UserRowKeys.ForEvent(e.Time, e.Id))
    {
        ["Id"] = e.Id,
        ["Type"] = e.Type,
        [TimeColumn] = e.Time,
        ["Properties"] = e.PropertiesJson,
        ["Model"] = e.Model,
        ["PromptTokens"] = e.PromptTokens,
        ["CompletionTokens"] = e.CompletionTokens,
        ["Cost"] = e.Cost,
        ["DurationMs"] = e.DurationMs,
        ["ThreadId"] = e.ThreadId,
        ["ReceivedAt"] = receivedAt,
    };

    private static EventRecord ToRecord(TableEntity e) => new(
        new NewEvent(
            e.GetString("Id") ?? string.Empty,
            e.GetString("Type") ?? string.Empty,
            e.GetDateTimeOffset(TimeColumn) ?? DateTimeOffset.MinValue,
            e.GetString("Properties"),
            e.GetString("Model"),
            e.GetInt64("PromptTokens"),
            e.GetInt64("CompletionTokens"),
            e.GetDouble("Cost"),
            e.GetInt64("DurationMs"),
            e.GetString("ThreadId")),
        e.GetDateTimeOffset("ReceivedAt") ?? DateTimeOffset.MinValue);
}
