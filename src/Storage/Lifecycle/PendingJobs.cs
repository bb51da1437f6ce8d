using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>The kinds of per-user lifecycle job that <see cref="PendingJobs"/> queues.</summary>
public static class LifecycleJobKinds
{
    /// <summary>Erase the user (<see cref="ErasureJobs"/>); the entry names the job, not the user.</summary>
    public const string Erasure = "erasure";

    /// <summary>Compute the user's usage report (<see cref="UsageReports"/>).</summary>
    public const string Usage = "usage";

    /// <summary>Check the user's data (<see cref="IntegrityChecks.CheckAsync"/>).</summary>
    public const string Integrity = "integrity";

    /// <summary>Repair the user's data, then check what is left (<see cref="IntegrityChecks.RepairAsync"/>).</summary>
    public const string Repair = "repair";

    /// <summary>Rewrite the user's rows to their kinds' current schema versions (<see cref="MigrationJob"/>).</summary>
    public const string Migration = "migration";

    /// <summary>Continue the user's unfinished export and import jobs (<see cref="IPortabilityJobRunner"/>).</summary>
    public const string Portability = "portability";

    /// <summary>Every kind, erasure first (it runs first).</summary>
    public static IReadOnlyList<string> All { get; } = [Erasure, Repair, Integrity, Usage, Migration, Portability];
}

/// <summary>A queued lifecycle job of one user.</summary>
/// <param name="UserHash">The user's <see cref="UserKeyHash"/>.</param>
/// <param name="Kind">One of <see cref="LifecycleJobKinds"/>.</param>
/// <param name="UserKey">The user's partition key; null for erasure, whose job row holds it while it runs.</param>
/// <param name="RequestedAt">When it was first requested.</param>
/// <param name="ETag">The entry's version: completing it is conditional on it.</param>
public sealed record PendingJob(string UserHash, string Kind, string? UserKey, DateTimeOffset RequestedAt, ETag ETag);

/// <summary>
/// The queue of per-user lifecycle jobs that outlive a request (design.md §2: a row records the job, a timer continues
/// it, the client polls a job resource): one row per user and kind in the lifecycle table, PartitionKey
/// <c>pending</c>, RowKey <c>{userHash}|{kind}</c>. The entry is written before the work starts and deleted when it
/// is done, so a crash leaves it for the next run of the jobs timer; an entry whose work is already done is harmless
/// (the runner finds nothing to do and drops it).
/// </summary>
/// <remarks>
/// Requesting a job that is already queued changes nothing (the first request's time stays): a request made while
/// the job runs is served by that run. The user's rows never hold the queue, so the timer finds work with one query
/// of one partition, whatever the number of users. Erasure deletes a user's entries (they hold the user key).
/// </remarks>
public sealed class PendingJobs(TableClient jobs, TimeProvider time)
{
    private const string Partition = "pending";

    /// <summary>Queues a job, or returns the one already queued.</summary>
    public async Task<PendingJob> EnqueueAsync(string userHash, string kind, UserPartition? user, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userHash);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        for (var attempt = 0; ; attempt++)
        {
            var row = new TableEntity(Partition, RowKeyOf(userHash, kind)) { ["RequestedAt"] = time.GetUtcNow() };
            if (user is { } named)
            {
                row["UserKey"] = named.Key;
            }

            try
            {
                var etag = await jobs.InsertAsync(row, cancellationToken).ConfigureAwait(false);
                return ToJob(new TableEntity(row) { ETag = etag });
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt < 2)
            {
                // Already queued: that entry stands (unless its job completed in between: then queue again).
                if (await FindAsync(userHash, kind, cancellationToken).ConfigureAwait(false) is { } queued)
                {
                    return queued;
                }
            }
        }
    }

    /// <summary>The user's queued job of <paramref name="kind"/>, or null.</summary>
    public async Task<PendingJob?> FindAsync(string userHash, string kind, CancellationToken cancellationToken) =>
        await jobs.FindAsync(Partition, RowKeyOf(userHash, kind), cancellationToken: cancellationToken).ConfigureAwait(false) is { } row ? ToJob(row) : null;

    /// <summary>Up to <paramref name="max"/> queued jobs of any users (one query).</summary>
    public async Task<IReadOnlyList<PendingJob>> ReadAsync(int max, CancellationToken cancellationToken)
    {
        var page = await jobs.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), max, cancellationToken: cancellationToken).ConfigureAwait(false);
        return page.Entities.Select(ToJob).ToList();
    }

    /// <summary>Every queued job of one user (one query).</summary>
    public async Task<IReadOnlyList<PendingJob>> OfUserAsync(string userHash, CancellationToken cancellationToken) =>
        (await jobs.ReadAllAsync(TableFilters.RowKeyStartsWith(Partition, userHash + KeyEncoding.Separator), cancellationToken: cancellationToken).ConfigureAwait(false)).Select(ToJob).ToList();

    /// <summary>Removes a job whose work is done, unless it was queued again since it was read (then it stays for another run).</summary>
    /// <returns>Whether it was removed.</returns>
    public async Task<bool> CompleteAsync(PendingJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            return await jobs.DeleteRowAsync(Partition, RowKeyOf(job.UserHash, job.Kind), job.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <summary>Removes a user's job of <paramref name="kind"/>, whatever its version.</summary>
    public Task<bool> RemoveAsync(string userHash, string kind, CancellationToken cancellationToken) =>
        jobs.DeleteRowAsync(Partition, RowKeyOf(userHash, kind), ETag.All, cancellationToken);

    private static string RowKeyOf(string userHash, string kind) => userHash + KeyEncoding.Separator + kind;

    private static PendingJob ToJob(TableEntity row)
    {
        var separator = row.RowKey.IndexOf(KeyEncoding.Separator, StringComparison.Ordinal);
        return new PendingJob(row.RowKey[..separator], row.RowKey[(separator + 1)..], row.GetString("UserKey"), row.GetDateTimeOffset("RequestedAt") ?? DateTimeOffset.MinValue, row.ETag);
    }
}
