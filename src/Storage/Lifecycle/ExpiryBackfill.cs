using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>What a backfill scheduled.</summary>
/// <param name="DeletedThreads">Soft-deleted threads (their purge, or for partly purged ones a new look).</param>
/// <param name="RunLogs">Run logs of missions that no longer exist.</param>
/// <param name="IdempotencyHours">Users' hours of idempotency records.</param>
public sealed record BackfillReport(int DeletedThreads, int RunLogs, int IdempotencyHours);

/// <summary>Where the backfill across every user stands.</summary>
/// <param name="Phase">The scan it is in: <c>threads</c>, <c>runs</c>, <c>idempotency</c>, or <c>done</c>.</param>
/// <param name="Scheduled">What it scheduled so far, all runs together.</param>
/// <param name="Pages">Pages of rows this run read.</param>
public sealed record BackfillProgress(string Phase, BackfillReport Scheduled, int Pages)
{
    /// <summary>Whether every user's data has been scheduled.</summary>
    public bool Done => Phase == ExpiryBackfill.DonePhase;
}

/// <summary>
/// Writes the expiry entries that everything the retention rules say can expire should have: soft-deleted threads,
/// run logs of missions that are gone, idempotency records. Entries are idempotent (one already there is written
/// again as it was), so this is safe to run at any time; it is what makes data written before the expiry index
/// existed purgeable, and what <see cref="IntegrityChecks.RepairAsync"/> runs for one user.
/// </summary>
/// <remarks>
/// <para>
/// For one user (<see cref="RunAsync"/>): three prefix scans of the partition. For every user
/// (<see cref="RunPagesAsync"/>): three scans of the whole user table, each returning only thread keys and delete
/// marks, run keys, and idempotency times, a bounded number of 1,000-row pages per call. A marker row in the
/// lifecycle table (<c>cursor</c> / <c>ExpiryBackfill</c>) keeps the scan and its continuation between calls and
/// says when it is done, so the jobs timer runs it once per deployment's data. Its continuation names the next row's
/// user; erasure clears it when it names the erased user, and that scan starts over (it is idempotent).
/// </para>
/// <para>Two runners at once: each save of the marker is conditional on the version it read; the loser stops.</para>
/// </remarks>
public sealed class ExpiryBackfill(LifecycleStorage storage, ExpiryIndex expiry)
{
    /// <summary>The phase of a finished backfill.</summary>
    public const string DonePhase = "done";

    /// <summary>Where the marker row lives.</summary>
    internal const string MarkerPartition = OrphanSweepCursor.Partition;

    /// <summary>The marker row's key.</summary>
    internal const string MarkerRow = "ExpiryBackfill";

    /// <summary>The marker's continuation column (erasure clears it when it names the user).</summary>
    internal const string ContinuationColumn = "Continuation";

    private const int PageSize = 1000;
    private static readonly string[] Phases = ["threads", "runs", "idempotency", DonePhase];

    /// <summary>Schedules retention for everything of <paramref name="user"/>'s that can expire.</summary>
    public async Task<BackfillReport> RunAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var total = new BackfillReport(0, 0, 0);
        foreach (var phase in Phases[..^1])
        {
            string? continuation = null;
            do
            {
                var (report, next) = await PageAsync(phase, user, continuation, cancellationToken).ConfigureAwait(false);
                total = Add(total, report);
                continuation = next;
            }
            while (continuation is not null);
        }

        return total;
    }

    /// <summary>
    /// Carries the backfill across every user on by at most <paramref name="maxPages"/> pages of rows, from where the
    /// last call left it; does nothing once it is done.
    /// </summary>
    public async Task<BackfillProgress> RunPagesAsync(int maxPages, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPages, 1);
        var marker = await storage.Jobs.FindAsync(MarkerPartition, MarkerRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        var phase = marker?.GetString("Phase") ?? Phases[0];
        var continuation = marker?.GetString(ContinuationColumn) is { Length: > 0 } saved ? saved : null;
        var scheduled = new BackfillReport(marker?.GetInt32("DeletedThreads") ?? 0, marker?.GetInt32("RunLogs") ?? 0, marker?.GetInt32("IdempotencyHours") ?? 0);
        var etag = marker?.ETag;
        var pages = 0;
        while (phase != DonePhase && pages < maxPages)
        {
            var (report, next) = await PageAsync(phase, null, continuation, cancellationToken).ConfigureAwait(false);
            pages++;
            scheduled = Add(scheduled, report);
            continuation = next;
            if (continuation is null)
            {
                phase = Phases[Array.IndexOf(Phases, phase) + 1];
            }

            var row = new TableEntity(MarkerPartition, MarkerRow)
            {
                ["Phase"] = phase,
                [ContinuationColumn] = continuation ?? string.Empty,
                ["DeletedThreads"] = scheduled.DeletedThreads,
                ["RunLogs"] = scheduled.RunLogs,
                ["IdempotencyHours"] = scheduled.IdempotencyHours,
            };
            try
            {
                etag = etag is { } current
                    ? await storage.Jobs.ReplaceAsync(row, current, cancellationToken).ConfigureAwait(false)
                    : await storage.Jobs.InsertAsync(row, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another runner moved the marker meanwhile (or erasure cleared its position): it carries on from there.
                break;
            }
        }

        return new BackfillProgress(phase, scheduled, pages);
    }

    /// <summary>Forgets the marker, so that the next <see cref="RunPagesAsync"/> starts the backfill over.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) => storage.Jobs.DeleteRowAsync(MarkerPartition, MarkerRow, ETag.All, cancellationToken);

    /// <summary>One page of one phase's scan, of one user or of every user, with what it scheduled.</summary>
    private async Task<(BackfillReport Report, string? Continuation)> PageAsync(string phase, UserPartition? user, string? continuation, CancellationToken cancellationToken)
    {
        string Filter(UserDataKind kind) => user is { } one ? kind.Filter(one) : TableFilters.AnyPartitionRowKeyStartsWith(kind.RowPrefix + KeyEncoding.Separator);
        async Task<TablePage> Page(UserDataKind kind, IEnumerable<string> columns) =>
            await storage.Users.ReadPageAsync(Filter(kind), PageSize, continuation, columns, cancellationToken).ConfigureAwait(false);

        var now = expiry.Time.GetUtcNow();
        switch (phase)
        {
            case "threads":
            {
                var page = await Page(UserDataKinds.Thread, ThreadEntities.LineageColumns).ConfigureAwait(false);
                var deleted = page.Entities.Where(t => t.GetDateTimeOffset("DeletedAt") is not null).ToList();
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

                return (new BackfillReport(deleted.Count, 0, 0), page.Continuation);
            }

            case "runs":
            {
                // A run log spanning pages is looked at once per page: entries are idempotent.
                var page = await Page(UserDataKinds.MissionRun, ["RowKey"]).ConfigureAwait(false);
                var logs = 0;
                foreach (var (userKey, missionId) in page.Entities.Select(r => (r.PartitionKey, KeyEncoding.Split(r.RowKey)[1])).Distinct())
                {
                    if (await storage.Users.FindAsync(userKey, UserRowKeys.ForMission(missionId), ["RowKey"], cancellationToken).ConfigureAwait(false) is null)
                    {
                        await expiry.PutAsync(userKey, RetentionRules.DeletedMission, missionId, now, now, cancellationToken).ConfigureAwait(false);
                        logs++;
                    }
                }

                return (new BackfillReport(0, logs, 0), page.Continuation);
            }

            default:
            {
                var rule = RetentionRules.Idempotency;
                var page = await Page(rule.Kind, rule.Columns).ConfigureAwait(false);
                var hours = page.Entities
                    .Select(r => (r.PartitionKey, From: rule.ExpiresFrom!(r))).Where(r => r.From is not null)
                    .Select(r => (r.PartitionKey, Hour: ExpiryIndex.BucketOf(r.From!.Value))).Distinct().ToList();
                foreach (var (userKey, hour) in hours)
                {
                    await expiry.ScheduleRowsAsync(UserPartition.FromKey(userKey), rule, ExpiryIndex.StartOf(hour), cancellationToken).ConfigureAwait(false);
                }

                return (new BackfillReport(0, 0, hours.Count), page.Continuation);
            }
        }
    }

    private static BackfillReport Add(BackfillReport a, BackfillReport b) =>
        new(a.DeletedThreads + b.DeletedThreads, a.RunLogs + b.RunLogs, a.IdempotencyHours + b.IdempotencyHours);
}
