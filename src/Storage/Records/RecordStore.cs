using System.Text;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Records;

/// <summary>
/// Records: <c>rec|{collection}|{id}</c> holds the document (UTF-8 JSON as a binary property up to 64 KiB, else a blob in
/// <c>{userKey}/rec/{collection}/</c>), status, parent, counters (<c>C_{name}</c> columns) and expiry. Three kinds of
/// list rows are full copies of it, so every list page is one prefix scan: <c>recr|{collection}|{invertedTicks}|{id}</c>
/// (newest change first), <c>recs|{collection}|{status}|{invertedTicks}|{id}</c> and <c>recp|{collection}|{parentId}|{id}</c>.
/// Quota counters live in <c>recmeta|{collection}</c> (records, bytes) and <c>recmeta|_all</c> (collections, records, bytes).
/// </summary>
/// <remarks>
/// Every write is ONE entity group transaction: the record row (added, or replaced under the ETag it was read with), its
/// list rows (old ones deleted, new ones added: a change moves the recency and status rows) and, when the record count or
/// document bytes change, both quota rows under their ETags; so lists never disagree with records, counters never with
/// lists, and a lost race re-reads and tries again (which is how 50 concurrent increments add exactly 50).
/// </remarks>
public sealed class RecordStore(TableClient table, PayloadStore payloads, ExpiryIndex expiry, TimeProvider time, RecordQuotas quotas)
{
    /// <summary>The <see cref="PayloadColumns"/> prefix of an offloaded document.</summary>
    public const string DataField = "Data";

    /// <summary>The largest document kept in the row (a binary property).</summary>
    public const int InlineMaxBytes = EntityLimits.MaxBinaryBytes;

    /// <summary>Counters one record may have.</summary>
    public const int MaxCounters = 32;

    private const string CounterPrefix = "C_";
    private const int MaxAttempts = 100;

    /// <summary>The quotas in force.</summary>
    public RecordQuotas Quotas => quotas;

    /// <summary>Reads a live (not expired) record, or null.</summary>
    public async Task<RecordItem?> GetAsync(UserPartition user, string collection, string id, CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(user.Key, UserRowKeys.ForRecord(collection, id), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null || IsExpired(row, time.GetUtcNow()) ? null : await ToItemAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a record: reads it (an expired one counts as absent), asks <paramref name="decide"/> what it becomes (null:
    /// refuse, nothing written), and commits record, list rows and quota counters together.
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The record id.</param>
    /// <param name="decide">The new state from the current record (null when absent); it receives the document only when <paramref name="withData"/>.</param>
    /// <param name="withData">Whether <paramref name="decide"/> needs the current document (a merge patch does; an increment does not).</param>
    /// <param name="ifMatch">The version it must have (<see cref="ETag.All"/>: it must exist).</param>
    /// <param name="createOnly">It must not exist.</param>
    /// <param name="extra">Builds, from the record about to be written, an operation for the same transaction (an idempotency record holding the answer; last).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The record written and whether it was created; null when <paramref name="decide"/> refused.</returns>
    /// <exception cref="RecordPreconditionException">A precondition failed.</exception>
    /// <exception cref="RecordQuotaException">A quota would be exceeded.</exception>
    /// <exception cref="RequestFailedException">409 at the last index when <paramref name="extra"/> conflicts.</exception>
    public Task<(RecordItem Item, bool Created)?> WriteAsync(
        UserPartition user, string collection, string id, Func<RecordItem?, RecordState?> decide, bool withData, ETag? ifMatch, bool createOnly,
        Func<RecordItem, TableTransactionAction>? extra, CancellationToken cancellationToken) =>
        WriteAsync(user, collection, id, decide, withData, ifMatch, createOnly, extra, times: null, cancellationToken);

    /// <summary>
    /// Writes a record carried by a bundle with its own times: created, or replacing the one there (an expired one
    /// counts as absent), with list rows, quota counters and expiry exactly as an API write leaves them. Safe to repeat.
    /// </summary>
    /// <param name="user">The user.</param>
    /// <param name="collection">The collection.</param>
    /// <param name="id">The record id.</param>
    /// <param name="state">What it holds (<see cref="RecordState.DataJson"/> required).</param>
    /// <param name="createdAt">Its creation time.</param>
    /// <param name="updatedAt">Its last change (orders the recency and status lists).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The record written.</returns>
    /// <exception cref="RecordQuotaException">A quota would be exceeded; nothing was written.</exception>
    public async Task<RecordItem> ImportAsync(
        UserPartition user, string collection, string id, RecordState state, DateTimeOffset createdAt, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.DataJson);
        var written = await WriteAsync(user, collection, id, _ => state, withData: false, null, createOnly: false, null, (createdAt, updatedAt), cancellationToken).ConfigureAwait(false);
        return written!.Value.Item;
    }

    private async Task<(RecordItem Item, bool Created)?> WriteAsync(
        UserPartition user, string collection, string id, Func<RecordItem?, RecordState?> decide, bool withData, ETag? ifMatch, bool createOnly,
        Func<RecordItem, TableTransactionAction>? extra, (DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)? times, CancellationToken cancellationToken)
    {
        var rowKey = UserRowKeys.ForRecord(collection, id);
        for (var attempt = 1; ; attempt++)
        {
            var stored = await table.FindAsync(user.Key, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var live = stored is not null && !IsExpired(stored, now) ? stored : null;
            if ((createOnly && live is not null) || (ifMatch is { } expected && (live is null || (expected != ETag.All && expected != live.ETag))))
            {
                throw new RecordPreconditionException();
            }

            var current = live is null ? null : withData ? await ToItemAsync(live, cancellationToken).ConfigureAwait(false) : ToItem(live, string.Empty);
            if (decide(current) is not { } next)
            {
                return null;
            }

            var updatedAt = times?.UpdatedAt ?? (stored?.GetDateTimeOffset("UpdatedAt") is { } previous && previous >= now ? previous.AddTicks(1) : now);
            var row = new TableEntity(user.Key, rowKey)
            {
                ["Status"] = next.Status,
                ["ParentId"] = next.ParentId,
                ["ExpiresAt"] = next.ExpiresAt,
                ["CreatedAt"] = times?.CreatedAt ?? current?.CreatedAt ?? now,
                ["UpdatedAt"] = updatedAt,
            };
            foreach (var (name, value) in next.Counters)
            {
                row[CounterPrefix + name] = value;
            }

            PayloadReference? uploaded = null;
            if (next.DataJson is { } json)
            {
                uploaded = await SetDataAsync(user, collection, row, json, cancellationToken).ConfigureAwait(false);
            }
            else if (live is not null)
            {
                foreach (var column in PayloadColumns.Columns(DataField).Append(DataField).Append("DataBytes"))
                {
                    row[column] = live.TryGetValue(column, out var value) ? value : null;
                }
            }
            else
            {
                await SetDataAsync(user, collection, row, "{}", cancellationToken).ConfigureAwait(false);
            }

            var oldBytes = live?.GetInt64("DataBytes") ?? 0;
            var newBytes = row.GetInt64("DataBytes") ?? 0;
            var actions = new List<TableTransactionAction>
            {
                stored is null ? new(TableTransactionActionType.Add, row) : new(TableTransactionActionType.UpdateReplace, row, stored.ETag),
            };
            actions.AddRange(ListRowChanges(user, stored, row));
            if (live is null || oldBytes != newBytes)
            {
                actions.AddRange(await QuotaActionsAsync(user, collection, live is null ? 1 : 0, newBytes - oldBytes, stored is not null && live is null ? stored : null, cancellationToken).ConfigureAwait(false));
            }

            if (next.ExpiresAt is { } expiresAt && expiresAt != live?.GetDateTimeOffset("ExpiresAt"))
            {
                // Index first (design.md §3): a stale entry is harmless, the purge re-reads the record.
                await expiry.ScheduleAsync(user, RetentionRules.ExpiredRecord, $"{collection}/{id}", expiresAt, cancellationToken).ConfigureAwait(false);
            }

            if (extra is not null)
            {
                actions.Add(extra(ToItem(row, next.DataJson ?? current?.DataJson ?? "{}")));
            }

            try
            {
                var etags = await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                if (stored is not null && PayloadColumns.Read(stored, DataField) is { } old && old.BlobName != PayloadColumns.Read(row, DataField)?.BlobName)
                {
                    await payloads.DeleteAsync(old, cancellationToken).ConfigureAwait(false);
                }

                row.ETag = etags[0] ?? default;
                return (await ToItemAsync(row, cancellationToken, next.DataJson).ConfigureAwait(false), live is null);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && (extra is null || e.FailedActionIndex() != actions.Count - 1))
            {
                if (uploaded is not null)
                {
                    await payloads.DeleteAsync(uploaded, cancellationToken).ConfigureAwait(false);
                }

                if (((ifMatch is not null && ifMatch != ETag.All) || createOnly) && e.FailedActionIndex() == 0)
                {
                    throw new RecordPreconditionException();
                }

                if (attempt >= MaxAttempts)
                {
                    throw;
                }

                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Deletes a record; with <paramref name="cascade"/>, its descendants first (deepest first), at most
    /// <paramref name="budget"/> records per call: call again while it answers <c>Complete = false</c>.
    /// </summary>
    /// <returns>Records deleted, and whether the record itself is gone; null when it did not exist.</returns>
    /// <exception cref="RecordHasChildrenException">It has children and <paramref name="cascade"/> is false.</exception>
    /// <exception cref="RecordPreconditionException"><paramref name="ifMatch"/> is not the current version.</exception>
    public async Task<(int Deleted, bool Complete)?> DeleteAsync(UserPartition user, string collection, string id, ETag? ifMatch, bool cascade, int budget, CancellationToken cancellationToken)
    {
        var root = await GetAsync(user, collection, id, cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return null;
        }

        if (ifMatch is { } expected && expected != ETag.All && expected != root.ETag)
        {
            throw new RecordPreconditionException();
        }

        var deleted = 0;
        while (true)
        {
            // Walk down first children to a record without children: delete it, then look again from the root.
            var node = id;
            while (await FirstChildAsync(user, collection, node, cancellationToken).ConfigureAwait(false) is { } child)
            {
                if (!cascade)
                {
                    throw new RecordHasChildrenException();
                }

                node = child;
            }

            if (node == id ? await DeleteOneAsync(user, collection, id, ifMatch, cancellationToken).ConfigureAwait(false) : await DeleteOneAsync(user, collection, node, null, cancellationToken).ConfigureAwait(false))
            {
                deleted++;
            }

            if (node == id)
            {
                return (deleted, true);
            }

            if (deleted >= budget)
            {
                return (deleted, false);
            }
        }
    }

    /// <summary>
    /// One page of a collection's live records: children of a parent (id order), by status or everything newest change
    /// first, or everything in id order; a status filter on children or in id order is applied by the service, within
    /// <see cref="BoundedPages.MaxRequests"/> requests (a page may then come back short with a continuation).
    /// </summary>
    public async Task<(IReadOnlyList<RecordItem> Items, string? Continuation)> ListAsync(
        UserPartition user, string collection, RecordListQuery query, int limit, string? continuation, CancellationToken cancellationToken)
    {
        var (prefix, statusInRange) = query switch
        {
            { ParentId: { } parent } => (UserRowKeys.ChildrenOf(collection, parent), false),
            { ByRecency: true, Status: { } status } => (UserRowKeys.RecordsWithStatus(collection, status), true),
            { ByRecency: true } => (UserRowKeys.RecordsByRecency(collection), false),
            _ => (UserRowKeys.RecordsOf(collection), false),
        };
        var filter = TableFilters.RowKeyStartsWith(user.Key, prefix);
        if (query.Status is { } wanted && !statusInRange)
        {
            filter = TableFilters.And(filter, TableClient.CreateQueryFilter($"Status eq {wanted}"));
        }

        var page = await BoundedPages.ReadAsync(table, filter, limit, continuation, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var items = await Task.WhenAll(page.Entities.Where(r => !IsExpired(r, now)).Select(r => ToItemAsync(r, cancellationToken))).ConfigureAwait(false);
        return (items, page.Continuation);
    }

    /// <summary>The user's collections with their sizes, in name order (one query).</summary>
    public async Task<IReadOnlyList<CollectionInfo>> CollectionsAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var rows = await table.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.RecordMetas), cancellationToken: cancellationToken).ConfigureAwait(false);
        return rows.Where(r => r.RowKey != UserRowKeys.RecordTotals)
            .Select(r => new CollectionInfo(KeyEncoding.Split(r.RowKey)[1], r.GetInt64("Records") ?? 0, r.GetInt64("Bytes") ?? 0)).ToList();
    }

    /// <summary>Whether a row holds an expiry that has passed.</summary>
    internal static bool IsExpired(TableEntity row, DateTimeOffset now) => row.GetDateTimeOffset("ExpiresAt") is { } at && at <= now;

    /// <summary>The list rows a record row has (recency, status, parent), full copies under their own keys.</summary>
    internal static IEnumerable<TableEntity> ListRows(TableEntity record)
    {
        var parts = KeyEncoding.Split(record.RowKey);
        var (collection, id) = (parts[1], parts[2]);
        var updatedAt = record.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue;
        yield return Copy(record, UserRowKeys.ForRecordRecent(collection, updatedAt, id));
        if (record.GetString("Status") is { } status)
        {
            yield return Copy(record, UserRowKeys.ForRecordStatus(collection, status, updatedAt, id));
        }

        if (record.GetString("ParentId") is { } parent)
        {
            yield return Copy(record, UserRowKeys.ForRecordParent(collection, parent, id));
        }
    }

    /// <summary>
    /// The quota rows of <paramref name="collection"/> changed by <paramref name="records"/> and <paramref name="bytes"/>,
    /// read now and written under their ETags; refuses growth past a quota. <paramref name="expiredRow"/>: a row being
    /// replaced that had expired, whose counts go first.
    /// </summary>
    internal async Task<IReadOnlyList<TableTransactionAction>> QuotaActionsAsync(UserPartition user, string collection, long records, long bytes, TableEntity? expiredRow, CancellationToken cancellationToken)
    {
        if (expiredRow is not null)
        {
            // An expired record not purged yet is being replaced: it leaves the counts as its purge would have.
            records -= 1;
            bytes -= expiredRow.GetInt64("DataBytes") ?? 0;
        }

        var metaRead = table.FindAsync(user.Key, UserRowKeys.ForRecordMeta(collection), cancellationToken: cancellationToken);
        var totals = await table.FindAsync(user.Key, UserRowKeys.RecordTotals, cancellationToken: cancellationToken).ConfigureAwait(false);
        var meta = await metaRead.ConfigureAwait(false);
        return QuotaActions(user, collection, meta, totals, records, bytes, quotas);
    }

    /// <summary>The quota row changes (see <see cref="QuotaActionsAsync"/>) from rows already read; a collection left empty loses its row.</summary>
    internal static IReadOnlyList<TableTransactionAction> QuotaActions(UserPartition user, string collection, TableEntity? meta, TableEntity? totals, long records, long bytes, RecordQuotas? limits)
    {
        var count = (meta?.GetInt64("Records") ?? 0) + records;
        var collectionBytes = (meta?.GetInt64("Bytes") ?? 0) + bytes;
        var collections = (totals?.GetInt64("Collections") ?? 0) + (meta is null && count > 0 ? 1 : 0) - (meta is not null && count <= 0 ? 1 : 0);
        var allBytes = (totals?.GetInt64("Bytes") ?? 0) + bytes;
        if (limits is not null)
        {
            if (records > 0 && count > limits.MaxRecordsPerCollection)
            {
                throw new RecordQuotaException("recordsPerCollection", limits.MaxRecordsPerCollection);
            }

            if (meta is null && records > 0 && collections > limits.MaxCollections)
            {
                throw new RecordQuotaException("collections", limits.MaxCollections);
            }

            if (bytes > 0 && allBytes > limits.MaxBytes)
            {
                throw new RecordQuotaException("bytes", limits.MaxBytes);
            }
        }

        var actions = new List<TableTransactionAction>();
        var metaRow = new TableEntity(user.Key, UserRowKeys.ForRecordMeta(collection)) { ["Records"] = count, ["Bytes"] = Math.Max(0, collectionBytes) };
        actions.Add(meta is null ? new(TableTransactionActionType.Add, metaRow)
            : count <= 0 ? new(TableTransactionActionType.Delete, meta, meta.ETag)
            : new(TableTransactionActionType.UpdateReplace, metaRow, meta.ETag));
        var totalsRow = new TableEntity(user.Key, UserRowKeys.RecordTotals)
        {
            ["Collections"] = Math.Max(0, collections),
            ["Records"] = Math.Max(0, (totals?.GetInt64("Records") ?? 0) + records),
            ["Bytes"] = Math.Max(0, allBytes),
        };
        actions.Add(totals is null ? new(TableTransactionActionType.Add, totalsRow) : new(TableTransactionActionType.UpdateReplace, totalsRow, totals.ETag));
        return actions;
    }

    private async Task<bool> DeleteOneAsync(UserPartition user, string collection, string id, ETag? ifMatch, CancellationToken cancellationToken)
    {
        var rowKey = UserRowKeys.ForRecord(collection, id);
        for (var attempt = 1; ; attempt++)
        {
            var stored = await table.FindAsync(user.Key, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return false;
            }

            if (ifMatch is { } expected && expected != ETag.All && expected != stored.ETag)
            {
                throw new RecordPreconditionException();
            }

            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, stored, stored.ETag) };
            actions.AddRange(ListRows(stored).Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)));
            actions.AddRange(await QuotaActionsAsync(user, collection, -1, -(stored.GetInt64("DataBytes") ?? 0), null, cancellationToken).ConfigureAwait(false));
            try
            {
                await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                if (PayloadColumns.Read(stored, DataField) is { } blob)
                {
                    await payloads.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
                }

                return true;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412 && attempt < MaxAttempts)
            {
                await Backoff.DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<string?> FirstChildAsync(UserPartition user, string collection, string parentId, CancellationToken cancellationToken)
    {
        var page = await table.ReadPageAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.ChildrenOf(collection, parentId)), 1, null, ["RowKey"], cancellationToken).ConfigureAwait(false);
        return page.Entities.Count == 0 ? null : KeyEncoding.Split(page.Entities[0].RowKey)[3];
    }

    /// <summary>Old list rows deleted, new ones added; a row under the same key (the parent row when the parent stays) is replaced.</summary>
    private static IEnumerable<TableTransactionAction> ListRowChanges(UserPartition user, TableEntity? stored, TableEntity row)
    {
        var fresh = ListRows(row).ToDictionary(r => r.RowKey, StringComparer.Ordinal);
        foreach (var old in stored is null ? [] : ListRows(stored))
        {
            if (!fresh.ContainsKey(old.RowKey))
            {
                yield return new(TableTransactionActionType.Delete, new TableEntity(user.Key, old.RowKey), ETag.All);
            }
        }

        foreach (var r in fresh.Values)
        {
            yield return new(TableTransactionActionType.UpsertReplace, r);
        }
    }

    private static TableEntity Copy(TableEntity record, string rowKey)
    {
        var copy = new TableEntity(record.PartitionKey, rowKey);
        foreach (var (name, value) in EntityLimits.CustomProperties(record))
        {
            copy[name] = value;
        }

        copy["RecordId"] = KeyEncoding.Split(record.RowKey)[2];
        return copy;
    }

    /// <summary>Puts the document in the row: inline up to 64 KiB, else uploaded first and referenced.</summary>
    private async Task<PayloadReference?> SetDataAsync(UserPartition user, string collection, TableEntity row, string json, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        row["DataBytes"] = (long)bytes.Length;
        if (bytes.Length <= InlineMaxBytes)
        {
            row[DataField] = bytes;
            return null;
        }

        using var stream = new MemoryStream(bytes, writable: false);
        var reference = await payloads.WriteAsync(UserBlobNames.Folder(user.Key, UserBlobNames.Records, collection), stream, "application/json", cancellationToken).ConfigureAwait(false);
        PayloadColumns.Write(row, DataField, reference);
        return reference;
    }

    private async Task<RecordItem> ToItemAsync(TableEntity row, CancellationToken cancellationToken, string? known = null)
    {
        var json = known
            ?? (PayloadColumns.Read(row, DataField) is { } blob
                ? await payloads.ReadAllTextAsync(blob, cancellationToken).ConfigureAwait(false)
                : row.GetBinary(DataField) is { } inline ? Encoding.UTF8.GetString(inline) : "{}");
        return ToItem(row, json);
    }

    private static RecordItem ToItem(TableEntity row, string json)
    {
        var parts = KeyEncoding.Split(row.RowKey);
        var counters = row.Where(p => p.Key.StartsWith(CounterPrefix, StringComparison.Ordinal) && p.Value is long or int)
            .ToDictionary(p => p.Key[CounterPrefix.Length..], p => Convert.ToInt64(p.Value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new RecordItem(
            parts[1],
            row.GetString("RecordId") ?? parts[2],
            json,
            row.GetString("Status"),
            row.GetString("ParentId"),
            counters,
            row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
            row.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            row.GetDateTimeOffset("ExpiresAt"),
            row.GetInt64("DataBytes") ?? 0,
            row.ETag);
    }
}
