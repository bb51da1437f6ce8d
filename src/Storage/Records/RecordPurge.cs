using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Records;

/// <summary>
/// Purges a record whose <c>expiresAt</c> has passed (<see cref="RetentionRules.ExpiredRecord"/>; the entry's subject is
/// <c>{collection}/{id}</c>): re-reads it, and deletes the record row, its list rows and its share of the quota counters
/// in one transaction (under the ETags read), then its document blob. A record whose expiry moved later is rescheduled;
/// one gone or without an expiry makes the entry stale. Its children stay (their <c>parentId</c> names a record that is gone).
/// </summary>
internal static class RecordPurge
{
    private const int MaxAttempts = 20;

    public static async Task<PurgeOutcome> RunAsync(UserSweep sweep, ExpiryEntry entry, CancellationToken cancellationToken)
    {
        var slash = entry.Subject.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return PurgeOutcome.Stale;
        }

        var (collection, id) = (entry.Subject[..slash], entry.Subject[(slash + 1)..]);
        var users = sweep.Storage.Users;
        var user = sweep.User;
        for (var attempt = 1; ; attempt++)
        {
            var row = await users.FindAsync(user.Key, UserRowKeys.ForRecord(collection, id), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (row?.GetDateTimeOffset("ExpiresAt") is not { } expiresAt)
            {
                return PurgeOutcome.Stale;
            }

            if (expiresAt > sweep.Now)
            {
                return PurgeOutcome.Reschedule(expiresAt);
            }

            var meta = await users.FindAsync(user.Key, UserRowKeys.ForRecordMeta(collection), cancellationToken: cancellationToken).ConfigureAwait(false);
            var totals = await users.FindAsync(user.Key, UserRowKeys.RecordTotals, cancellationToken: cancellationToken).ConfigureAwait(false);
            var rows = new List<TableEntity> { row };
            rows.AddRange(RecordStore.ListRows(row).Select(r => { r.ETag = ETag.All; return r; }));
            try
            {
                await sweep.Deleter.RowsTogetherAsync(rows, RecordStore.QuotaActions(user, collection, meta, totals, -1, -(row.GetInt64("DataBytes") ?? 0), null), cancellationToken).ConfigureAwait(false);
                return PurgeOutcome.Done;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412 && attempt < MaxAttempts)
            {
                // The record or a counter changed since it was read: read again.
            }
        }
    }
}
