using Serverless.Storage.Conversations;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>What a backfill scheduled.</summary>
/// <param name="DeletedThreads">Soft-deleted threads (their purge, or for partly purged ones a new look).</param>
/// <param name="RunLogs">Run logs of missions that no longer exist.</param>
/// <param name="IdempotencyHours">Users' hours of idempotency records.</param>
public sealed record BackfillReport(int DeletedThreads, int RunLogs, int IdempotencyHours);

/// <summary>
/// Writes the expiry entries that everything the retention rules say can expire should have: soft-deleted threads,
/// run logs of missions that are gone, idempotency records. Entries are idempotent (one already there is written
/// again as it was), so this is safe to run at any time; it is what makes data written before the expiry index
/// existed purgeable, and what <see cref="IntegrityChecks.RepairAsync"/> runs for one user.
/// </summary>
/// <remarks>
/// For one user: three prefix scans of the partition. For every user (an operator's one-off after deploying the
/// index): three scans of the whole user table, each returning only thread, mission and run keys and idempotency times.
/// </remarks>
public sealed class ExpiryBackfill(LifecycleStorage storage, ExpiryIndex expiry)
{
    /// <summary>Schedules retention for <paramref name="user"/>'s data, or for every user's when null.</summary>
    public async Task<BackfillReport> RunAsync(UserPartition? user, CancellationToken cancellationToken)
    {
        var now = expiry.Time.GetUtcNow();
        string Filter(UserDataKind kind) => user is { } one ? kind.Filter(one) : TableFilters.AnyPartitionRowKeyStartsWith(kind.RowPrefix + KeyEncoding.Separator);

        var threads = await storage.Users.ReadAllAsync(Filter(UserDataKinds.Thread), ThreadEntities.LineageColumns, cancellationToken).ConfigureAwait(false);
        var deleted = threads.Where(t => t.GetDateTimeOffset("DeletedAt") is not null).ToList();
        foreach (var row in deleted)
        {
            var threadId = ThreadEntities.ThreadIdOfKey(row.RowKey);
            if (row.GetDateTimeOffset(ThreadEntities.PurgedAtProperty) is null)
            {
                await expiry.ScheduleAsync(UserPartition.FromKey(row.PartitionKey), RetentionRules.DeletedThread, threadId, row.GetDateTimeOffset("DeletedAt")!.Value, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Partly purged for its forks: look again whether they still need it.
                await expiry.PutAsync(row.PartitionKey, RetentionRules.DeletedThread, threadId, now, now, cancellationToken).ConfigureAwait(false);
            }
        }

        var missions = (await storage.Users.ReadAllAsync(Filter(UserDataKinds.Mission), ["RowKey"], cancellationToken).ConfigureAwait(false))
            .Select(r => (r.PartitionKey, KeyEncoding.Split(r.RowKey)[1])).ToHashSet();
        var runLogs = (await storage.Users.ReadAllAsync(Filter(UserDataKinds.MissionRun), ["RowKey"], cancellationToken).ConfigureAwait(false))
            .Select(r => (r.PartitionKey, KeyEncoding.Split(r.RowKey)[1])).Distinct().Where(run => !missions.Contains(run)).ToList();
        foreach (var (userKey, missionId) in runLogs)
        {
            await expiry.PutAsync(userKey, RetentionRules.DeletedMission, missionId, now, now, cancellationToken).ConfigureAwait(false);
        }

        var rule = RetentionRules.Idempotency;
        var hours = (await storage.Users.ReadAllAsync(Filter(rule.Kind), rule.Columns, cancellationToken).ConfigureAwait(false))
            .Select(r => (r.PartitionKey, From: rule.ExpiresFrom!(r))).Where(r => r.From is not null)
            .Select(r => (r.PartitionKey, Hour: ExpiryIndex.BucketOf(r.From!.Value))).Distinct().ToList();
        foreach (var (userKey, hour) in hours)
        {
            await expiry.ScheduleRowsAsync(UserPartition.FromKey(userKey), rule, ExpiryIndex.StartOf(hour), cancellationToken).ConfigureAwait(false);
        }

        return new BackfillReport(deleted.Count, runLogs.Count, hours.Count);
    }
}
