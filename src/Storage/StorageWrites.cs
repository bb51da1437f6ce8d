using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Tables;

namespace Serverless.Storage;

/// <summary>
/// Every write our stores make goes through here, for what the SDKs do not do:
/// <list type="bullet">
/// <item>entity limits checked before sending (<see cref="EntityLimits"/>), null properties dropped (absent), transactions validated;</item>
/// <item>lost responses: the pipeline retries a write whose response was lost, and the retry may meet the
/// first try's own commit (409 on an insert, 412 on a conditional update, 404 on a delete or an update).
/// Then the stored state is read back: if it is what this write wrote, the write succeeded; otherwise a
/// <see cref="RetriedConflictException"/> says so. A conflict on the first try is the SDK's
/// <see cref="RequestFailedException"/> unchanged.</item>
/// </list>
/// Whether a call was retried comes from <see cref="Tries"/>, counted on the pipeline.
/// </summary>
public static class StorageWrites
{
    /// <summary>Inserts an entity that must not exist yet.</summary>
    /// <returns>The new ETag.</returns>
    /// <exception cref="RequestFailedException">409 when the entity exists (a <see cref="RetriedConflictException"/> when met by a retry and not this very write).</exception>
    public static async Task<ETag> InsertAsync(this TableClient table, TableEntity entity, CancellationToken cancellationToken = default)
    {
        Prepare(entity);
        using var tries = Tries.Track();
        try
        {
            return ETagOf(await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false));
        }
        catch (RequestFailedException e) when (e.Status == 409 && tries.Retried)
        {
            return await OwnWriteAsync(table, entity, exact: true, e, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Replaces an existing entity whose ETag matches <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any).</summary>
    /// <exception cref="RequestFailedException">404 when missing, 412 when the ETag is stale.</exception>
    public static Task<ETag> ReplaceAsync(this TableClient table, TableEntity entity, ETag ifMatch, CancellationToken cancellationToken = default) =>
        UpdateAsync(table, entity, ifMatch, TableUpdateMode.Replace, cancellationToken);

    /// <summary>Merges properties into an existing entity whose ETag matches <paramref name="ifMatch"/>.</summary>
    /// <exception cref="RequestFailedException">404 when missing, 412 when the ETag is stale.</exception>
    public static Task<ETag> MergeAsync(this TableClient table, TableEntity entity, ETag ifMatch, CancellationToken cancellationToken = default) =>
        UpdateAsync(table, entity, ifMatch, TableUpdateMode.Merge, cancellationToken);

    /// <summary>Inserts the entity, or replaces or merges it if it exists. Unconditional, so a replay is harmless.</summary>
    /// <returns>The new ETag.</returns>
    public static async Task<ETag> UpsertAsync(this TableClient table, TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default)
    {
        Prepare(entity);
        return ETagOf(await table.UpsertEntityAsync(entity, mode, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Deletes an entity whose ETag matches <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any).</summary>
    /// <returns><c>true</c> if this call deleted it (also when a retry finds it gone: the lost first try deleted it), <c>false</c> if it did not exist.</returns>
    /// <exception cref="RequestFailedException">412 when the ETag is stale.</exception>
    public static async Task<bool> DeleteRowAsync(this TableClient table, string partitionKey, string rowKey, ETag ifMatch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var tries = Tries.Track();
        var response = await table.DeleteEntityAsync(partitionKey, rowKey, ifMatch, cancellationToken).ConfigureAwait(false);
        return response.Status != 404 || tries.Retried;
    }

    /// <summary>
    /// Runs an entity group transaction: 1 to 100 actions on distinct rows of one partition, all applied or none.
    /// An update or delete without an ETag is conditional on the entity's own ETag, else on any version
    /// (the SDK would otherwise send an update without <c>If-Match</c>, which upserts).
    /// </summary>
    /// <returns>For each action in order, the entity's new ETag (null for deletes).</returns>
    /// <exception cref="ArgumentException">The transaction is empty, too large, spans partitions or names a row twice.</exception>
    /// <exception cref="RequestFailedException">
    /// The service rejected it: a <see cref="TableTransactionFailedException"/> naming the action, or a
    /// <see cref="RetriedConflictException"/>; 413 <c>RequestBodyTooLarge</c> before sending when it cannot fit 4 MiB.
    /// <see cref="FailedActionIndex"/> reads the action's index from either.
    /// </exception>
    public static async Task<IReadOnlyList<ETag?>> SubmitAsync(this TableClient table, IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var prepared = Prepare(actions);
        using var tries = Tries.Track();
        try
        {
            var response = await table.SubmitTransactionAsync(prepared, cancellationToken).ConfigureAwait(false);
            return response.Value.Select(r => r.Headers.ETag).ToArray();
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && tries.Retried)
        {
            return await OwnTransactionAsync(table, prepared, cancellationToken).ConfigureAwait(false) ?? throw new RetriedConflictException(e);
        }
    }

    /// <summary>
    /// Deletes rows in entity group transactions of up to 100 per partition, each under the ETag it carries
    /// (<see cref="ETag.All"/> for any version). A row already gone (404) or changed since it was read (412) is
    /// left out and the rest of its transaction sent again, so a sweep racing another sweep, or resuming after a
    /// crash, deletes each row once and counts only what it deleted.
    /// </summary>
    /// <returns>The rows this call deleted.</returns>
    public static async Task<IReadOnlyList<TableEntity>> DeleteRowsAsync(this TableClient table, IEnumerable<TableEntity> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        var deleted = new List<TableEntity>();
        foreach (var chunk in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal).SelectMany(p => p.Chunk(100)))
        {
            var pending = chunk.ToList();
            while (pending.Count > 0)
            {
                try
                {
                    await table.SubmitAsync(
                        pending.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, r.ETag == default ? ETag.All : r.ETag)).ToList(),
                        cancellationToken).ConfigureAwait(false);
                    deleted.AddRange(pending);
                    break;
                }
                catch (RequestFailedException e) when (e.Status is 404 or 412 && e.FailedActionIndex() is { } failed && failed >= 0 && failed < pending.Count)
                {
                    pending.RemoveAt(failed);
                }
            }
        }

        return deleted;
    }

    /// <summary>The index of the transaction action a failure names, from the SDK's exception or a <see cref="RetriedConflictException"/>.</summary>
    public static int? FailedActionIndex(this RequestFailedException exception) => exception switch
    {
        TableTransactionFailedException failed => failed.FailedTransactionActionIndex,
        RetriedConflictException retried => retried.FailedActionIndex,
        _ => null,
    };

    /// <summary>
    /// Creates a blob with a create-only upload (<paramref name="create"/>, e.g. with <c>If-None-Match: *</c>).
    /// When a retry of it meets 409 or 412, <paramref name="isOwnWrite"/> decides whether the blob there is the
    /// first try's (success) or someone else's (<see cref="RetriedConflictException"/>).
    /// </summary>
    public static async Task CreateBlobOnceAsync(Func<Task> create, Func<Task<bool>> isOwnWrite)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(isOwnWrite);
        using var tries = Tries.Track();
        try
        {
            await create().ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 && tries.Retried)
        {
            if (!await isOwnWrite().ConfigureAwait(false))
            {
                throw new RetriedConflictException(e);
            }
        }
    }

    /// <summary>Deletes a blob and its snapshots.</summary>
    /// <returns><c>true</c> if this call deleted it (also when a retry finds it gone), <c>false</c> if it did not exist.</returns>
    public static async Task<bool> DeleteBlobAsync(this BlobClient blob, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        using var tries = Tries.Track();
        var deleted = await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        return deleted.Value || tries.Retried;
    }

    private static async Task<ETag> UpdateAsync(TableClient table, TableEntity entity, ETag ifMatch, TableUpdateMode mode, CancellationToken cancellationToken)
    {
        Prepare(entity);
        using var tries = Tries.Track();
        try
        {
            return ETagOf(await table.UpdateEntityAsync(entity, ifMatch, mode, cancellationToken).ConfigureAwait(false));
        }
        catch (RequestFailedException e) when (e.Status == 412 && tries.Retried)
        {
            return await OwnWriteAsync(table, entity, mode == TableUpdateMode.Replace, e, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After a retried write that failed: the stored ETag if the stored entity is what we wrote.</summary>
    private static async Task<ETag> OwnWriteAsync(TableClient table, TableEntity written, bool exact, RequestFailedException conflict, CancellationToken cancellationToken)
    {
        var stored = await table.FindAsync(written.PartitionKey, written.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return stored is not null && EntityValues.Contains(stored, written, exact) ? stored.ETag : throw new RetriedConflictException(conflict);
    }

    /// <summary>After a retried transaction that failed: the stored ETags if every action's effect is what is stored, else null.</summary>
    private static async Task<IReadOnlyList<ETag?>?> OwnTransactionAsync(TableClient table, List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        var etags = new ETag?[actions.Count];
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var written = (TableEntity)action.Entity;
            var stored = await table.FindAsync(written.PartitionKey, written.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var applied = action.ActionType switch
            {
                TableTransactionActionType.Delete => stored is null,
                TableTransactionActionType.UpdateMerge or TableTransactionActionType.UpsertMerge => stored is not null && EntityValues.Contains(stored, written, exact: false),
                _ => stored is not null && EntityValues.Contains(stored, written, exact: true),
            };
            if (!applied)
            {
                return null;
            }

            etags[i] = stored?.ETag;
        }

        return etags;
    }

    private static ETag ETagOf(Response response) => response.Headers.ETag ?? default;

    /// <summary>Drops null properties (a table stores absent, not null) and checks the limits.</summary>
    private static void Prepare(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        foreach (var name in entity.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            entity.Remove(name);
        }

        EntityLimits.Check(entity);
    }

    private static List<TableTransactionAction> Prepare(IReadOnlyList<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count is 0 or > 100)
        {
            throw new ArgumentException($"A transaction holds 1 to 100 actions, not {actions.Count}.", nameof(actions));
        }

        var prepared = new List<TableTransactionAction>(actions.Count);
        var rows = new HashSet<string>(StringComparer.Ordinal);
        string? partition = null;
        long bytes = 0;
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            if (action.Entity is not TableEntity entity)
            {
                throw new ArgumentException($"Action {i} does not hold a TableEntity.", nameof(actions));
            }

            partition ??= entity.PartitionKey;
            if (!string.Equals(entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Action {i} is in another partition; a transaction covers one partition.", nameof(actions));
            }

            if (!rows.Add(entity.RowKey))
            {
                throw new ArgumentException($"Action {i} names a row that an earlier action already names.", nameof(actions));
            }

            if (action.ActionType != TableTransactionActionType.Delete)
            {
                Prepare(entity);
            }

            var conditional = action.ActionType is TableTransactionActionType.UpdateReplace or TableTransactionActionType.UpdateMerge or TableTransactionActionType.Delete;
            var etag = action.ETag != default || !conditional ? action.ETag : entity.ETag != default ? entity.ETag : ETag.All;
            prepared.Add(new TableTransactionAction(action.ActionType, entity, etag));
            bytes += EntityJson.TransactionBytes(entity);
        }

        if (bytes >= EntityLimits.MaxTransactionBytes)
        {
            throw EntityLimits.Refused("RequestBodyTooLarge", $"the transaction takes about {bytes} bytes; it must be under {EntityLimits.MaxTransactionBytes}", 413);
        }

        return prepared;
    }
}
