using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Memories;

/// <summary>
/// Memories (<c>mem|{scope}|{namespace}.|{key}</c>) and their word index (<c>memword|{scope}|{word}|{namespace}.|{key}</c>).
/// The namespace path ends with a dot in the key, so a namespace and every namespace under it is one prefix
/// (<c>prefs.</c> covers <c>prefs.</c> and <c>prefs.ui.</c>, not <c>prefsx.</c>). A write is one entity group
/// transaction: the memory row (added, or replaced under the ETag it was read with) and the index rows of the words
/// it gained and lost, so the index never disagrees with the memories.
/// </summary>
/// <remarks>
/// Search (<see cref="SearchAsync"/>) reads the index rows of the query's longest word under the namespace prefix (a
/// prefix scan) and point-reads those memories to check the other words: a page costs one query plus one point read
/// per candidate, at most <see cref="SearchScanBudget"/> candidates per request, whatever the number of memories.
/// </remarks>
public sealed class MemoryStore(TableClient table, TimeProvider time)
{
    /// <summary>Index rows (candidates) one search request reads before it returns a short page with a cursor.</summary>
    public const int SearchScanBudget = 100;

    private const int MaxAttempts = 50;

    /// <summary>Reads one memory, or null.</summary>
    public async Task<MemoryRecord?> GetAsync(UserPartition user, string scope, string namespacePath, string key, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.ForMemory(scope, namespacePath, key), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : ToRecord(row);
    }

    /// <summary>
    /// Creates or replaces a memory. <paramref name="ifMatch"/>: the current version it must have (<see cref="ETag.All"/>: it
    /// must exist); <paramref name="createOnly"/>: it must not exist. Without either a lost race re-reads and writes again.
    /// <paramref name="extra"/> builds, from the memory about to be written, an operation (an idempotency record holding
    /// the answer) that joins the transaction, last.
    /// </summary>
    /// <returns>The memory, and whether it was created.</returns>
    /// <exception cref="MemoryPreconditionException">A precondition failed; nothing was written.</exception>
    /// <exception cref="RequestFailedException">409 at the index of <paramref name="extra"/> when it conflicts.</exception>
    public Task<(MemoryRecord Memory, bool Created)> PutAsync(
        UserPartition user, string scope, string namespacePath, string key, MemoryWrite write, ETag? ifMatch, bool createOnly, Func<MemoryRecord, TableTransactionAction>? extra, CancellationToken cancellationToken) =>
        WriteAsync(user, scope, namespacePath, key, write, ifMatch, createOnly, extra, null, cancellationToken);

    /// <summary>
    /// Writes a memory with its own times (an import), creating it or replacing the one there, with its word index
    /// rebuilt as <see cref="PutAsync"/> builds it: safe to repeat.
    /// </summary>
    public async Task<MemoryRecord> ImportAsync(UserPartition user, MemoryRecord memory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var (written, _) = await WriteAsync(
            user, memory.Scope, memory.Namespace, memory.Key, memory.Write, null, false, null, (memory.CreatedAt, memory.UpdatedAt), cancellationToken).ConfigureAwait(false);
        return written;
    }

    private async Task<(MemoryRecord Memory, bool Created)> WriteAsync(
        UserPartition user, string scope, string namespacePath, string key, MemoryWrite write, ETag? ifMatch, bool createOnly, Func<MemoryRecord, TableTransactionAction>? extra,
        (DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)? times, CancellationToken cancellationToken)
    {
        var rowKey = UserRowKeys.ForMemory(scope, namespacePath, key);
        var words = MemoryWords.Of(key, write.Tags, write.ValueJson);
        for (var attempt = 1; ; attempt++)
        {
            var current = await table.FindAsync(user.Key, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if ((createOnly && current is not null) || (ifMatch is { } expected && (current is null || (expected != ETag.All && expected != current.ETag))))
            {
                throw new MemoryPreconditionException();
            }

            var now = time.GetUtcNow();
            var createdAt = times?.CreatedAt ?? current?.GetDateTimeOffset("CreatedAt") ?? now;
            var row = Row(user, rowKey, write, words, createdAt, times?.UpdatedAt ?? now);
            var oldWords = current is null ? [] : WordsOf(current);
            var actions = new List<TableTransactionAction>
            {
                current is null ? new(TableTransactionActionType.Add, row) : new(TableTransactionActionType.UpdateReplace, row, current.ETag),
            };
            actions.AddRange(oldWords.Except(words).Select(w => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForMemoryWord(scope, w, namespacePath, key)), ETag.All)));
            actions.AddRange(words.Except(oldWords).Select(w => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(user.Key, UserRowKeys.ForMemoryWord(scope, w, namespacePath, key)))));
            if (extra is not null)
            {
                actions.Add(extra(ToRecord(row)));
            }

            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                return (ToRecord(row) with { ETag = etags[0] ?? default }, current is null);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && (extra is null || e.FailedActionIndex() != actions.Count - 1))
            {
                // Another write of this memory got in between (created, changed or deleted it, and so its index rows).
                if (ifMatch is not null || createOnly || attempt >= MaxAttempts)
                {
                    throw new MemoryPreconditionException();
                }

                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes a memory and its index rows; false when it did not exist.</summary>
    /// <exception cref="MemoryPreconditionException"><paramref name="ifMatch"/> is not the current version.</exception>
    public async Task<bool> DeleteAsync(UserPartition user, string scope, string namespacePath, string key, ETag? ifMatch, CancellationToken cancellationToken)
    {
        var rowKey = UserRowKeys.ForMemory(scope, namespacePath, key);
        for (var attempt = 1; ; attempt++)
        {
            var current = await table.FindAsync(user.Key, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return false;
            }

            if (ifMatch is { } expected && expected != ETag.All && expected != current.ETag)
            {
                throw new MemoryPreconditionException();
            }

            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, current, current.ETag) };
            actions.AddRange(WordsOf(current).Select(w => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForMemoryWord(scope, w, namespacePath, key)), ETag.All)));
            try
            {
                await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412 && attempt < MaxAttempts)
            {
                if (ifMatch is { } tag && tag != ETag.All)
                {
                    throw new MemoryPreconditionException();
                }

                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every memory of the user, every scope, a page at a time, in row key order (exports).</summary>
    public async IAsyncEnumerable<MemoryRecord> ScanAsync(UserPartition user, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? after = null;
        do
        {
            var page = await table.ReadPageAsync(UserDataKinds.Memory.Filter(user), 1000, after, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var entity in page.Entities)
            {
                yield return ToRecord(entity);
            }

            after = page.Continuation;
        }
        while (after is not null);
    }

    /// <summary>One page of a scope's memories in <paramref name="namespacePath"/> and under it ("" for the whole scope), in key order: by namespace path, a namespace's sub-namespaces before its own keys.</summary>
    public async Task<(IReadOnlyList<MemoryRecord> Items, string? Continuation)> ListAsync(
        UserPartition user, string scope, string namespacePath, int limit, string? continuation, CancellationToken cancellationToken)
    {
        var filter = TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.MemoriesUnder(scope, namespacePath));
        var page = await table.ReadPageAsync(filter, limit, continuation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (page.Entities.Select(ToRecord).ToList(), page.Continuation);
    }

    /// <summary>
    /// One page of the scope's memories in <paramref name="namespacePath"/> and under it that hold every word of
    /// <paramref name="words"/> (<see cref="MemoryWords.OfQuery"/>), resuming after the index row <paramref name="afterIndexRow"/>.
    /// Reads at most <see cref="SearchScanBudget"/> candidates, so a page may be short (even empty) with a resume point.
    /// </summary>
    /// <returns>The page, and the index row to resume after (null at the end).</returns>
    public async Task<(IReadOnlyList<MemoryRecord> Items, string? NextAfter)> SearchAsync(
        UserPartition user, string scope, string namespacePath, IReadOnlyList<string> words, int limit, string? afterIndexRow, CancellationToken cancellationToken)
    {
        // The longest word is the likeliest to be rare: its index rows are the candidates.
        var driving = words.OrderByDescending(w => w.Length).ThenBy(w => w, StringComparer.Ordinal).First();
        var range = TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.MemoryWordsUnder(scope, driving, namespacePath));
        var query = afterIndexRow is null ? range : TableFilters.And(range, TableClient.CreateQueryFilter($"RowKey gt {afterIndexRow}"));
        var found = new List<MemoryRecord>(limit);
        string? last = afterIndexRow;
        string? continuation = null;
        var scanned = 0;
        while (found.Count < limit && scanned < SearchScanBudget)
        {
            var want = Math.Min(limit - found.Count, SearchScanBudget - scanned);
            var page = await table.ReadPageAsync(query, want, continuation, ["RowKey"], cancellationToken).ConfigureAwait(false);
            var rows = await Task.WhenAll(page.Entities.Select(e => table.FindAsync(user.Key, MemoryRowOf(e.RowKey), cancellationToken: cancellationToken))).ConfigureAwait(false);
            foreach (var row in rows)
            {
                if (row is not null && WordsOf(row) is var held && words.All(held.Contains))
                {
                    found.Add(ToRecord(row));
                }
            }

            scanned += page.Entities.Count;
            if (page.Entities.Count > 0)
            {
                last = page.Entities[^1].RowKey;
            }

            continuation = page.Continuation;
            if (continuation is null)
            {
                return (found, null);
            }
        }

        return (found, last);
    }

    /// <summary>The memory row an index row points at: <c>memword|{scope}|{word}|{ns}.|{key}</c> → <c>mem|{scope}|{ns}.|{key}</c>.</summary>
    private static string MemoryRowOf(string indexRow)
    {
        var parts = indexRow.Split(KeyEncoding.Separator);
        return KeyEncoding.ComposeEncoded(UserRowKeys.Memory, parts[1], parts[3], parts[4]);
    }

    private static HashSet<string> WordsOf(TableEntity row) =>
        (row.GetString("Words") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    private static TableEntity Row(UserPartition user, string rowKey, MemoryWrite write, IReadOnlyList<string> words, DateTimeOffset createdAt, DateTimeOffset updatedAt) => new(user.Key, rowKey)
    {
        ["Value"] = write.ValueJson,
        ["Tags"] = JsonSerializer.Serialize(write.Tags),
        ["SourceThreadId"] = write.SourceThreadId,
        ["SourceSequence"] = write.SourceMessageSequence,
        ["Words"] = string.Join(' ', words),
        ["CreatedAt"] = createdAt,
        ["UpdatedAt"] = updatedAt,
    };

    private static MemoryRecord ToRecord(TableEntity row)
    {
        var parts = KeyEncoding.Split(row.RowKey);
        return new MemoryRecord(
            parts[1],
            parts[2].TrimEnd('.'),
            parts[3],
            new MemoryWrite(
                row.GetString("Value") ?? "null",
                JsonSerializer.Deserialize<string[]>(row.GetString("Tags") ?? "[]") ?? [],
                row.GetString("SourceThreadId"),
                row.GetInt64("SourceSequence")),
            row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
            row.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            row.ETag);
    }
}
