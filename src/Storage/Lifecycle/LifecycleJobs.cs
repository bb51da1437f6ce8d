using Azure;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>How one queued job went in a run of the jobs timer.</summary>
/// <param name="Kind">The <see cref="LifecycleJobKinds"/> kind.</param>
/// <param name="UserHash">Whose (the keyed hash: logs carry no user ids).</param>
/// <param name="Outcome">
/// <c>done</c> (finished, entry removed), <c>continued</c> (stopped at the run's budget, entry kept), <c>dropped</c>
/// (nothing to do: already done, the user is being erased or has no data), <c>held</c> (an erasure stopped by a legal
/// hold, entry kept) or <c>failed</c> (entry kept for the next run).
/// </param>
/// <param name="Error">What failed, for <c>failed</c>.</param>
public sealed record JobOutcome(string Kind, string UserHash, string Outcome, string? Error = null);

/// <summary>What a run of the jobs timer did.</summary>
/// <param name="Jobs">Each job it looked at.</param>
/// <param name="Backfill">Where the expiry backfill stands after its share of the run (null when the budget was spent first).</param>
/// <param name="Left">Whether queued jobs were left for the next run (the run's job count or budget ran out).</param>
public sealed record JobsRunReport(IReadOnlyList<JobOutcome> Jobs, BackfillProgress? Backfill, bool Left)
{
    /// <summary>Jobs with <paramref name="outcome"/>.</summary>
    public int Count(string outcome) => Jobs.Count(j => j.Outcome == outcome);
}

/// <summary>
/// The per-user lifecycle work that outlives a request, and the one place that runs it: erasure, usage reports,
/// integrity checks and repairs, schema migrations, each queued in <see cref="PendingJobs"/> and continued by the jobs
/// timer (<see cref="RunPendingAsync"/>), which also carries the one-off <see cref="ExpiryBackfill"/> across every
/// user. Requests do a bounded first share themselves (cancel the call; the queue keeps the rest).
/// </summary>
/// <remarks>
/// Nothing is computed or written for a user whose erasure is under way (<see cref="ErasureInProgressException"/>),
/// and a report is kept only for a user who has rows, so that asking for one after an erasure leaves nothing behind.
/// Runs may overlap (the host's singleton lease lost, an operator's run): erasure is guarded by its job row's ETag,
/// migrations by each row's, a report written twice is the same report, and the backfill by its marker's ETag.
/// </remarks>
public sealed class LifecycleJobs
{
    private readonly LifecycleStorage storage;
    private readonly UserKeyHash hashes;
    private readonly TimeProvider time;
    private readonly IPortabilityJobRunner? portability;

    /// <summary>The jobs over <paramref name="storage"/>.</summary>
    /// <param name="storage">The tables and the container.</param>
    /// <param name="expiry">The expiry index (integrity repair and the backfill schedule retention).</param>
    /// <param name="hashes">The users' keyed hashes (job and receipt keys).</param>
    /// <param name="orphanGrace">How old an unreferenced blob must be to count as an orphan.</param>
    /// <param name="time">The clock.</param>
    /// <param name="portability">Runs export and import jobs (the app's; they need its validation), or null where there are none.</param>
    public LifecycleJobs(LifecycleStorage storage, ExpiryIndex expiry, UserKeyHash hashes, TimeSpan orphanGrace, TimeProvider time, IPortabilityJobRunner? portability = null)
    {
        this.portability = portability;
        ArgumentNullException.ThrowIfNull(storage);
        this.storage = storage;
        this.hashes = hashes;
        this.time = time;
        Usage = new UsageReports(storage, time);
        Integrity = new IntegrityChecks(storage, expiry, orphanGrace);
        Erasure = new ErasureJobs(storage, time, hashes);
        Pending = new PendingJobs(storage.Jobs, time);
        Reports = new LifecycleReports(storage.Users);
        Migrations = new MigrationJob(storage.Users, SchemaMigrations.Current, time);
        Backfill = new ExpiryBackfill(storage, expiry);
    }

    /// <summary>Usage scans (<see cref="ComputeUsageAsync"/> also keeps the report).</summary>
    public UsageReports Usage { get; }

    /// <summary>Integrity checks and repairs (<see cref="CheckIntegrityAsync"/> also keeps the outcome).</summary>
    public IntegrityChecks Integrity { get; }

    /// <summary>Erasure jobs and receipts.</summary>
    public ErasureJobs Erasure { get; }

    /// <summary>The queue.</summary>
    public PendingJobs Pending { get; }

    /// <summary>The users' last reports.</summary>
    public LifecycleReports Reports { get; }

    /// <summary>Schema migrations per user.</summary>
    public MigrationJob Migrations { get; }

    /// <summary>The expiry backfill.</summary>
    public ExpiryBackfill Backfill { get; }

    /// <summary>The user's keyed hash: the key of their jobs and receipt.</summary>
    public string HashOf(UserPartition user) => hashes.Of(user);

    /// <summary>Queues a job of <paramref name="kind"/> for the user (or returns the one already queued).</summary>
    public Task<PendingJob> QueueAsync(UserPartition user, string kind, CancellationToken cancellationToken) =>
        Pending.EnqueueAsync(HashOf(user), kind, user, cancellationToken);

    /// <summary>The user's queued job of <paramref name="kind"/>, or null.</summary>
    public Task<PendingJob?> QueuedAsync(UserPartition user, string kind, CancellationToken cancellationToken) =>
        Pending.FindAsync(HashOf(user), kind, cancellationToken);

    /// <summary>Computes the user's usage and keeps it as their last report (if they have rows).</summary>
    /// <exception cref="ErasureInProgressException">The user is being erased.</exception>
    public async Task<UsageReport> ComputeUsageAsync(UserPartition user, CancellationToken cancellationToken)
    {
        await RefuseErasingAsync(user, cancellationToken).ConfigureAwait(false);
        var report = await Usage.ComputeAsync(user, cancellationToken).ConfigureAwait(false);
        if (report.Rows > 0)
        {
            await Reports.SaveUsageAsync(user, report, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>Checks the user's data (after repairing it, with <paramref name="repair"/>) and keeps the outcome as their last check (if they have rows).</summary>
    /// <exception cref="ErasureInProgressException">The user is being erased.</exception>
    public async Task<IntegritySummary> CheckIntegrityAsync(UserPartition user, bool repair, CancellationToken cancellationToken)
    {
        await RefuseErasingAsync(user, cancellationToken).ConfigureAwait(false);
        var repaired = repair ? await Integrity.RepairAsync(user, cancellationToken).ConfigureAwait(false) : null;
        var summary = IntegritySummary.Of(await Integrity.CheckAsync(user, cancellationToken).ConfigureAwait(false), repaired);
        return await HasRowsAsync(user, cancellationToken).ConfigureAwait(false)
            ? await Reports.SaveIntegrityAsync(user, summary, cancellationToken).ConfigureAwait(false)
            : summary;
    }

    /// <summary>
    /// Queues the user's migration job unless every migration has run for them or they have no rows (two queries; one
    /// insert when needed): a user without data gets no entry, which would be the only trace of them.
    /// </summary>
    /// <returns>Whether a job is queued.</returns>
    public async Task<bool> QueueMigrationIfNeededAsync(UserPartition user, CancellationToken cancellationToken)
    {
        if (await Migrations.IsCurrentAsync(user, cancellationToken).ConfigureAwait(false) || !await HasRowsAsync(user, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await QueueAsync(user, LifecycleJobKinds.Migration, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// One run of the jobs timer: up to <paramref name="maxJobs"/> queued jobs (erasures first, then oldest first),
    /// then up to <paramref name="backfillPages"/> pages of the expiry backfill while it is not done, all within
    /// <paramref name="budget"/>: erasures, migrations and the backfill stop where they are when it runs out and
    /// carry on next run; a report, which cannot stop halfway, is not started once it has.
    /// </summary>
    public async Task<JobsRunReport> RunPendingAsync(int maxJobs, TimeSpan budget, int backfillPages, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxJobs, 1);
        using var deadline = new CancellationTokenSource(budget, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var queued = await Pending.ReadAsync(maxJobs, cancellationToken).ConfigureAwait(false);
        var outcomes = new List<JobOutcome>();
        var order = queued.OrderBy(j => j.Kind == LifecycleJobKinds.Erasure ? 0 : 1).ThenBy(j => j.RequestedAt);
        foreach (var job in order)
        {
            if (deadline.IsCancellationRequested)
            {
                break;
            }

            outcomes.Add(await RunAsync(job, bounded.Token, deadline.Token, cancellationToken).ConfigureAwait(false));
        }

        BackfillProgress? backfill = null;
        if (!deadline.IsCancellationRequested)
        {
            try
            {
                backfill = await Backfill.RunPagesAsync(backfillPages, bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The page it was in is read again next run.
            }
        }

        return new JobsRunReport(outcomes, backfill, outcomes.Count < queued.Count || outcomes.Any(o => o.Outcome == "continued") || queued.Count == maxJobs);
    }

    private async Task<JobOutcome> RunAsync(PendingJob job, CancellationToken bounded, CancellationToken deadline, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = job.Kind switch
            {
                LifecycleJobKinds.Erasure => await EraseAsync(job, bounded).ConfigureAwait(false),
                _ when job.UserKey is null || !LifecycleJobKinds.All.Contains(job.Kind) => "dropped",
                _ => await RunUserJobAsync(job, UserPartition.FromKey(job.UserKey), bounded, cancellationToken).ConfigureAwait(false),
            };
            if (outcome is "done" or "dropped")
            {
                await Pending.CompleteAsync(job, cancellationToken).ConfigureAwait(false);
            }

            return new JobOutcome(job.Kind, job.UserHash, outcome);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new JobOutcome(job.Kind, job.UserHash, "continued");
        }
        catch (LegalHoldException)
        {
            return new JobOutcome(job.Kind, job.UserHash, "held");
        }
        catch (ErasureInProgressException)
        {
            await Pending.CompleteAsync(job, cancellationToken).ConfigureAwait(false);
            return new JobOutcome(job.Kind, job.UserHash, "dropped");
        }
        catch (Exception e) when (e is RequestFailedException or FormatException or InvalidOperationException)
        {
            return new JobOutcome(job.Kind, job.UserHash, "failed", $"{e.GetType().Name}: {e.Message}");
        }
    }

    private async Task<string> EraseAsync(PendingJob job, CancellationToken cancellationToken) =>
        await Erasure.ResumeAsync(job.UserHash, cancellationToken).ConfigureAwait(false) is { Done: false } ? "continued" : "done";

    private async Task<string> RunUserJobAsync(PendingJob job, UserPartition user, CancellationToken bounded, CancellationToken cancellationToken)
    {
        switch (job.Kind)
        {
            case LifecycleJobKinds.Usage:
                await ComputeUsageAsync(user, cancellationToken).ConfigureAwait(false);
                return "done";
            case LifecycleJobKinds.Portability:
                await RefuseErasingAsync(user, cancellationToken).ConfigureAwait(false);
                return portability is null ? "dropped" : await portability.RunAsync(user, bounded).ConfigureAwait(false) ? "done" : "continued";
            case LifecycleJobKinds.Integrity or LifecycleJobKinds.Repair:
                await CheckIntegrityAsync(user, job.Kind == LifecycleJobKinds.Repair, cancellationToken).ConfigureAwait(false);
                return "done";
            default:
                await RefuseErasingAsync(user, cancellationToken).ConfigureAwait(false);
                if (!await HasRowsAsync(user, cancellationToken).ConfigureAwait(false))
                {
                    // Queued by a request that wrote nothing: there is nothing to migrate, and the records would be the user's only rows.
                    return "dropped";
                }

                await Migrations.RunAsync(user, bounded).ConfigureAwait(false);
                return "done";
        }
    }

    /// <summary>Throws while the user is being erased (one point read).</summary>
    /// <exception cref="ErasureInProgressException">The user is being erased.</exception>
    public async Task RefuseErasingAsync(UserPartition user, CancellationToken cancellationToken)
    {
        if (await Erasure.IsErasingAsync(user, cancellationToken).ConfigureAwait(false))
        {
            throw new ErasureInProgressException();
        }
    }

    private async Task<bool> HasRowsAsync(UserPartition user, CancellationToken cancellationToken) =>
        (await storage.Users.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"), 1, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false)).Entities.Count > 0;
}
