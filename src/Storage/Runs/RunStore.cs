using System.Text;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Runs;

/// <summary>
/// Runs (<c>run|{runId}|</c>), their list rows (<c>runx|all|…</c>, <c>runx|kind|{kind}|…</c>, <c>runx|status|{status}|…</c>,
/// <c>runx|thread|{threadId}|…</c>, each <c>…|{invertedTicks of creation}|{runId}</c>: a summary copy, newest first) and
/// the counters row (<c>runstat|counts</c>, runs per status). Every write is one entity group transaction: the run row
/// (under its ETag), its list rows (a status change moves the status row: delete old, add new) and the counters (under
/// their ETag), so each list is a prefix scan that agrees with the runs, and the counts with the lists.
/// Input, output and error over <see cref="ConversationLimits.InlineMaxChars"/> characters go to blobs
/// (<c>{userKey}/run/{runId}/…</c>), uploaded before the row commits.
/// </summary>
public sealed class RunStore(TableClient table, PayloadStore payloads, ExpiryIndex expiry, TimeProvider time)
{
    /// <summary>The text fields that may be offloaded (their <see cref="PayloadColumns"/> prefixes).</summary>
    public static IReadOnlyList<string> PayloadFields { get; } = ["Input", "Output", "Error"];

    /// <summary>Rows a filtered list reads before it returns a short page with a cursor.</summary>
    public const int ListScanBudget = 500;

    private const int MaxAttempts = 100;

    private static readonly string[] SummaryColumns =
        ["Kind", "Name", "Status", "ThreadId", "MessageSequence", "ParentRunId", "MissionId", "Model", "PromptTokens", "CompletionTokens", "Cost", "CreatedAt", "UpdatedAt", "StartedAt", "EndedAt"];

    /// <summary>Creates a run with its list rows and counts, plus <paramref name="extra"/> (an idempotency record, last).</summary>
    /// <exception cref="RequestFailedException">409 at index 0 when the id is taken; at the last index when <paramref name="extra"/> conflicts.</exception>
    public async Task<RunRecord> CreateAsync(UserPartition user, RunRecord run, TableTransactionAction? extra, CancellationToken cancellationToken)
    {
        await expiry.ScheduleRowsAsync(user, RetentionRules.Runs, run.CreatedAt, cancellationToken).ConfigureAwait(false);
        var row = new TableEntity(user.Key, UserRowKeys.ForRun(run.Id));
        Summarize(row, run);
        row["Metadata"] = run.MetadataJson;
        await SetTextsAsync(user, row, run.Id, run.InputJson, run.OutputJson, run.ErrorJson, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var counts = await table.FindAsync(user.Key, UserRowKeys.RunCounts, cancellationToken: cancellationToken).ConfigureAwait(false);
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, row) };
            actions.AddRange(ListRows(user, row).Select(r => new TableTransactionAction(TableTransactionActionType.Add, r)));
            actions.Add(CountsAction(user, counts, new() { [run.Status] = 1 }));
            if (extra is not null)
            {
                actions.Add(extra);
            }

            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                return run with { ETag = etags[0] ?? default };
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && e.FailedActionIndex() == actions.Count - (extra is null ? 1 : 2) && attempt < MaxAttempts)
            {
                // Another run write moved the counters: read them again.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Writes a run as it is (an import: id, status and times kept, no transition check), creating it or replacing the
    /// one there, with its list rows and counters changed as <see cref="CreateAsync"/> and <see cref="UpdateAsync"/>
    /// change them, in one transaction: safe to repeat. The replaced run's offloaded texts are deleted after the commit.
    /// </summary>
    public async Task<RunRecord> ImportAsync(UserPartition user, RunRecord run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await expiry.ScheduleRowsAsync(user, RetentionRules.Runs, run.CreatedAt, cancellationToken).ConfigureAwait(false);
        var row = new TableEntity(user.Key, UserRowKeys.ForRun(run.Id));
        Summarize(row, run);
        row["Metadata"] = run.MetadataJson;
        await SetTextsAsync(user, row, run.Id, run.InputJson, run.OutputJson, run.ErrorJson, cancellationToken).ConfigureAwait(false);
        var lists = ListRows(user, row).ToList();
        for (var attempt = 1; ; attempt++)
        {
            var current = await table.FindAsync(user.Key, UserRowKeys.ForRun(run.Id), cancellationToken: cancellationToken).ConfigureAwait(false);
            var counts = await table.FindAsync(user.Key, UserRowKeys.RunCounts, cancellationToken: cancellationToken).ConfigureAwait(false);
            var actions = new List<TableTransactionAction> { current is null ? new(TableTransactionActionType.Add, row) : new(TableTransactionActionType.UpdateReplace, row, current.ETag) };
            var delta = new Dictionary<string, long>();
            if (current is not null)
            {
                actions.AddRange(ListRows(user, current).Where(old => lists.All(l => l.RowKey != old.RowKey))
                    .Select(old => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user.Key, old.RowKey), ETag.All)));
                delta[Summary(current).Status] = -1;
            }

            delta[run.Status] = delta.GetValueOrDefault(run.Status) + 1;
            actions.AddRange(lists.Select(l => new TableTransactionAction(TableTransactionActionType.UpsertReplace, l)));
            if (delta.Values.Any(d => d != 0))
            {
                actions.Add(CountsAction(user, counts, delta));
            }

            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                foreach (var old in PayloadFields.Select(f => current is null ? null : PayloadColumns.Read(current, f)).OfType<PayloadReference>())
                {
                    await payloads.DeleteAsync(old, cancellationToken).ConfigureAwait(false);
                }

                return run with { ETag = etags[0] ?? default };
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && attempt < MaxAttempts)
            {
                // Another run write moved the run or the counters: read them again.
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every run of the user with its input, output and error, a page at a time, by id (exports).</summary>
    public async IAsyncEnumerable<RunRecord> ScanAsync(UserPartition user, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        do
        {
            var page = await table.ReadPageAsync(UserDataKinds.Run.Filter(user), 100, after, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var entity in page.Entities)
            {
                yield return await ReadAsync(entity, cancellationToken).ConfigureAwait(false);
            }

            after = page.Continuation;
        }
        while (after is not null);
    }

    /// <summary>Reads a run with its input, output and error (offloaded ones read back), or null.</summary>
    public async Task<RunRecord?> GetAsync(UserPartition user, string runId, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.ForRun(runId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : await ReadAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies <paramref name="patch"/> under the run's ETag (<paramref name="ifMatch"/>, else the one just read, with a
    /// re-read when another write won). Moving to running sets <c>startedAt</c>, to a terminal status <c>endedAt</c>, unless given.
    /// </summary>
    /// <returns>The run after the change, or null when it does not exist.</returns>
    /// <exception cref="InvalidRunTransitionException">The status move is not allowed; nothing was written.</exception>
    /// <exception cref="RunPreconditionException"><paramref name="ifMatch"/> is not the current version.</exception>
    public async Task<RunRecord?> UpdateAsync(UserPartition user, string runId, ETag? ifMatch, RunPatch patch, CancellationToken cancellationToken)
    {
        var texts = new TableEntity();
        await SetTextsAsync(user, texts, runId, patch.InputJson, patch.OutputJson, patch.ErrorJson, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var current = await table.FindAsync(user.Key, UserRowKeys.ForRun(runId), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return null;
            }

            if (ifMatch is { } expected && expected != ETag.All && expected != current.ETag)
            {
                throw new RunPreconditionException();
            }

            var before = Summary(current);
            var status = patch.Status ?? before.Status;
            if (!RunStatuses.CanMove(before.Status, status))
            {
                throw new InvalidRunTransitionException(before.Status, status);
            }

            var now = time.GetUtcNow();
            var after = before with
            {
                Status = status,
                Model = patch.Model ?? before.Model,
                PromptTokens = patch.PromptTokens ?? before.PromptTokens,
                CompletionTokens = patch.CompletionTokens ?? before.CompletionTokens,
                Cost = patch.Cost ?? before.Cost,
                UpdatedAt = now,
                StartedAt = patch.StartedAt ?? before.StartedAt ?? (status != RunStatuses.Queued ? now : null),
                EndedAt = patch.EndedAt ?? before.EndedAt ?? (RunStatuses.IsTerminal(status) ? now : null),
            };
            var row = new TableEntity(current) { ETag = default };
            Summarize(row, after);
            if (patch.MetadataJson is not null)
            {
                row["Metadata"] = patch.MetadataJson;
            }

            var replaced = new List<PayloadReference>();
            foreach (var field in PayloadFields.Where(f => texts.ContainsKey(f) || texts.ContainsKey(PayloadColumns.BlobColumn(f))))
            {
                if (PayloadColumns.Read(current, field) is { } old)
                {
                    replaced.Add(old);
                }

                row[field] = texts.GetString(field);
                PayloadColumns.Write(row, field, PayloadColumns.Read(texts, field));
            }

            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, row, current.ETag) };
            foreach (var list in ListRows(user, row))
            {
                var moved = before.Status != status && list.RowKey.StartsWith(UserRowKeys.RunListOf("status", status), StringComparison.Ordinal);
                actions.Add(new(moved ? TableTransactionActionType.Add : TableTransactionActionType.UpsertReplace, list));
            }

            if (before.Status != status)
            {
                var counts = await table.FindAsync(user.Key, UserRowKeys.RunCounts, cancellationToken: cancellationToken).ConfigureAwait(false);
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForRunList("status", before.Status, before.CreatedAt, runId)), ETag.All));
                actions.Add(CountsAction(user, counts, new() { [before.Status] = -1, [status] = 1 }));
            }

            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                foreach (var old in replaced)
                {
                    await payloads.DeleteAsync(old, cancellationToken).ConfigureAwait(false);
                }

                return await ReadAsync(new TableEntity(row) { ETag = etags[0] ?? default }, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && attempt < MaxAttempts)
            {
                if (ifMatch is { } tag && tag != ETag.All && e.FailedActionIndex() == 0)
                {
                    throw new RunPreconditionException();
                }

                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One page of run summaries (no input, output, error or metadata), newest first, resuming after list row
    /// <paramref name="afterRowKey"/>. The list read is the most selective filter's (thread, then status, then kind, else
    /// all); other filters are checked on its rows, at most <see cref="ListScanBudget"/> per request.
    /// </summary>
    public async Task<(IReadOnlyList<RunRecord> Items, string? NextAfter)> ListAsync(UserPartition user, RunFilter filter, int limit, string? afterRowKey, CancellationToken cancellationToken)
    {
        var (list, value) = filter switch
        {
            { ThreadId: { } thread } => ("thread", thread),
            { Status: { } status } => ("status", status),
            { Kind: { } kind } => ("kind", kind),
            _ => ("all", (string?)null),
        };
        var range = TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.RunListOf(list, value));
        var query = afterRowKey is null ? range : TableFilters.And(range, TableClient.CreateQueryFilter($"RowKey gt {afterRowKey}"));
        var found = new List<RunRecord>(limit);
        string? last = afterRowKey;
        string? continuation = null;
        var scanned = 0;
        while (found.Count < limit && scanned < ListScanBudget)
        {
            var page = await table.ReadPageAsync(query, Math.Min(100, ListScanBudget - scanned), continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var row in page.Entities)
            {
                scanned++;
                last = row.RowKey;
                var run = Summary(row);
                if ((filter.Kind is null || run.Kind == filter.Kind) && (filter.Status is null || run.Status == filter.Status))
                {
                    found.Add(run);
                    if (found.Count == limit)
                    {
                        return (found, row == page.Entities[^1] && page.Continuation is null ? null : last);
                    }
                }
            }

            continuation = page.Continuation;
            if (continuation is null)
            {
                return (found, null);
            }
        }

        return (found, last);
    }

    /// <summary>Runs per status (every status, zero included): one point read.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountsAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.RunCounts, cancellationToken: cancellationToken).ConfigureAwait(false);
        return RunStatuses.All.ToDictionary(s => s, s => row?.GetInt64(Column(s)) ?? 0, StringComparer.Ordinal);
    }

    /// <summary>The list rows of a run row (all, kind, status and, when it has one, thread).</summary>
    internal static IEnumerable<TableEntity> ListRows(UserPartition user, TableEntity run)
    {
        var summary = Summary(run);
        var id = IdOf(run.RowKey);
        foreach (var (list, value) in new[] { ("all", null), ("kind", summary.Kind), ("status", summary.Status), ("thread", summary.ThreadId) })
        {
            if (list == "thread" && value is null)
            {
                continue;
            }

            var row = new TableEntity(user.Key, UserRowKeys.ForRunList(list, value, summary.CreatedAt, id));
            foreach (var column in SummaryColumns)
            {
                row[column] = run.TryGetValue(column, out var v) ? v : null;
            }

            row["RunId"] = id;
            yield return row;
        }
    }

    /// <summary>The counters row changed by <paramref name="delta"/> (Replace under its ETag, or Add when there is none yet).</summary>
    internal static TableTransactionAction CountsAction(UserPartition user, TableEntity? counts, Dictionary<string, long> delta)
    {
        var row = new TableEntity(user.Key, UserRowKeys.RunCounts);
        foreach (var status in RunStatuses.All)
        {
            row[Column(status)] = Math.Max(0, (counts?.GetInt64(Column(status)) ?? 0) + delta.GetValueOrDefault(status));
        }

        return counts is null ? new(TableTransactionActionType.Add, row) : new(TableTransactionActionType.UpdateReplace, row, counts.ETag);
    }

    /// <summary>The run id of a run row or list row.</summary>
    internal static string IdOf(string rowKey) => KeyEncoding.Split(rowKey) is var parts && parts[0] == UserRowKeys.Run ? parts[1] : parts[^1];

    /// <summary>A run or list row's summary fields (texts and metadata null).</summary>
    internal static RunRecord Summary(TableEntity row) => new(
        row.GetString("RunId") ?? IdOf(row.RowKey),
        row.GetString("Kind") ?? string.Empty,
        row.GetString("Name") ?? string.Empty,
        row.GetString("Status") ?? RunStatuses.Queued,
        row.GetString("ThreadId"),
        row.GetInt64("MessageSequence"),
        row.GetString("ParentRunId"),
        row.GetString("MissionId"),
        null,
        null,
        null,
        row.GetString("Model"),
        row.GetInt64("PromptTokens"),
        row.GetInt64("CompletionTokens"),
        row.GetDouble("Cost"),
        null,
        row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        row.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
        row.GetDateTimeOffset("StartedAt"),
        row.GetDateTimeOffset("EndedAt"),
        row.ETag);

    private static string Column(string status) => char.ToUpperInvariant(status[0]) + status[1..];

    private static void Summarize(TableEntity row, RunRecord run)
    {
        row["Kind"] = run.Kind;
        row["Name"] = run.Name;
        row["Status"] = run.Status;
        row["ThreadId"] = run.ThreadId;
        row["MessageSequence"] = run.MessageSequence;
        row["ParentRunId"] = run.ParentRunId;
        row["MissionId"] = run.MissionId;
        row["Model"] = run.Model;
        row["PromptTokens"] = run.PromptTokens;
        row["CompletionTokens"] = run.CompletionTokens;
        row["Cost"] = run.Cost;
        row["CreatedAt"] = run.CreatedAt;
        row["UpdatedAt"] = run.UpdatedAt;
        row["StartedAt"] = run.StartedAt;
        row["EndedAt"] = run.EndedAt;
    }

    /// <summary>Puts each given text in <paramref name="row"/>: inline, or uploaded first and referenced when long.</summary>
    private async Task SetTextsAsync(UserPartition user, TableEntity row, string runId, string? input, string? output, string? error, CancellationToken cancellationToken)
    {
        foreach (var (field, text) in new[] { ("Input", input), ("Output", output), ("Error", error) })
        {
            if (text is null)
            {
                continue;
            }

            if (text.Length <= ConversationLimits.InlineMaxChars)
            {
                row[field] = text;
                PayloadColumns.Write(row, field, null);
                continue;
            }

            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
            row[field] = null;
            PayloadColumns.Write(row, field, await payloads.WriteAsync(UserBlobNames.Folder(user.Key, UserBlobNames.Runs, runId), stream, "application/json", cancellationToken).ConfigureAwait(false));
        }
    }

    private async Task<RunRecord> ReadAsync(TableEntity row, CancellationToken cancellationToken)
    {
        async Task<string?> Text(string field) =>
            PayloadColumns.Read(row, field) is { } blob ? await payloads.ReadAllTextAsync(blob, cancellationToken).ConfigureAwait(false) : row.GetString(field);

        return Summary(row) with
        {
            InputJson = await Text("Input").ConfigureAwait(false),
            OutputJson = await Text("Output").ConfigureAwait(false),
            ErrorJson = await Text("Error").ConfigureAwait(false),
            MetadataJson = row.GetString("Metadata"),
        };
    }
}
