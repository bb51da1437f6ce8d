using Azure.Data.Tables;
using System.Globalization;
using Azure;
using Serverless.Storage.Tables;

namespace Serverless.Storage.Missions;

/// <summary>One row of the due index: mission <see cref="MissionId"/> of user <see cref="UserKey"/> needs attention at <see cref="DueAt"/>.</summary>
/// <param name="Bucket">The PartitionKey (UTC minute).</param>
/// <param name="RowKey">The RowKey.</param>
/// <param name="UserKey">The user's encoded partition key.</param>
/// <param name="MissionId">The mission.</param>
/// <param name="DueAt">The due time the row was written for.</param>
public sealed record DueEntry(string Bucket, string RowKey, string UserKey, string MissionId, DateTimeOffset DueAt);

/// <summary>
/// The due-mission index (<c>missiondue</c> table): PartitionKey = UTC minute bucket <c>yyyyMMddHHmm</c>,
/// RowKey = <c>{userKey}|{missionId}|{dueTicks}</c>. It cannot join the user's transaction, so writers put
/// the index row first and the consumer re-checks the mission row: a stale row costs one read and a delete,
/// a missing one cannot happen. A single cursor row remembers the oldest bucket that may still hold rows, so
/// a tick reads only buckets between it and now: O(due), not O(missions).
/// </summary>
public sealed class DueIndexStore(TableClient table)
{
    /// <summary>PartitionKey of the cursor row; sorts after every digit bucket, so bucket ranges never include it.</summary>
    public const string CursorPartition = "cursor";

    private const string CursorRow = "MissionsTick";

    /// <summary>The bucket of a time.</summary>
    public static string BucketOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes (idempotently) the index row for mission <paramref name="missionId"/> due at <paramref name="dueAt"/>,
    /// in the bucket of <paramref name="bucketTime"/>: a due time already past goes in the current bucket, so the
    /// row is never behind the tick's cursor.
    /// </summary>
    public async Task PutAsync(string userKey, string missionId, DateTimeOffset dueAt, DateTimeOffset bucketTime, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(BucketOf(bucketTime), RowKeyOf(userKey, missionId, dueAt)) { ["DueAt"] = dueAt };
        await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes up to 100 index rows that share the bucket of <paramref name="bucketTime"/> in one transaction (imports, benchmarks).</summary>
    public async Task PutBatchAsync(IReadOnlyList<(string UserKey, string MissionId, DateTimeOffset DueAt)> rows, DateTimeOffset bucketTime, CancellationToken cancellationToken)
    {
        var bucket = BucketOf(bucketTime);
        var actions = rows.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(bucket, RowKeyOf(r.UserKey, r.MissionId, r.DueAt)) { ["DueAt"] = r.DueAt })).ToList();
        await table.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes an index row; already gone is fine.</summary>
    public async Task DeleteAsync(DueEntry entry, CancellationToken cancellationToken) =>
        await table.DeleteRowAsync(entry.Bucket, entry.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);

    /// <summary>Up to <paramref name="limit"/> rows in buckets <paramref name="fromBucket"/> through <paramref name="toBucket"/>, oldest bucket first.</summary>
    public async Task<IReadOnlyList<DueEntry>> ReadAsync(string fromBucket, string toBucket, int limit, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {fromBucket} and PartitionKey le {toBucket}");
        var page = await table.ReadPageAsync(filter, limit, cancellationToken: cancellationToken).ConfigureAwait(false);
        return page.Entities.Select(ToEntry).OfType<DueEntry>().ToList();
    }

    /// <summary>The oldest bucket that may still hold rows, or null before the first tick.</summary>
    public async Task<string?> GetCursorAsync(CancellationToken cancellationToken)
    {
        var row = await table.FindAsync(CursorPartition, CursorRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row?.GetString("Bucket");
    }

    /// <summary>Moves the cursor. Ticks run at most once at a time (timer lock), so last write wins is fine.</summary>
    public async Task SetCursorAsync(string bucket, CancellationToken cancellationToken) =>
        await table.UpsertAsync(new TableEntity(CursorPartition, CursorRow) { ["Bucket"] = bucket }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);

    private static string RowKeyOf(string userKey, string missionId, DateTimeOffset dueAt) =>
        KeyEncoding.ComposeEncoded(userKey, KeyEncoding.Encode(missionId), dueAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture));

    private static DueEntry? ToEntry(TableEntity e)
    {
        var parts = e.RowKey.Split(KeyEncoding.Separator);
        if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            return null;
        }

        return new DueEntry(e.PartitionKey, e.RowKey, parts[0], KeyEncoding.Decode(parts[1]), new DateTimeOffset(ticks, TimeSpan.Zero));
    }
}
