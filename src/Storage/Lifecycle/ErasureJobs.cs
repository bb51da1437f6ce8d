using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Erases every row, blob and index entry of a user as a resumable, idempotent job, and keeps a receipt without
/// personal data (<see cref="ErasureJob"/>): the user partition, the blobs under <c>{userKey}/</c>, the user's
/// expiry index and due-mission index entries, and any lifecycle row that names the user. After it, nothing of the
/// user is left in any table or the container (the tests check with a raw scan).
/// </summary>
/// <remarks>
/// <para>
/// The job's state is one row of the jobs table outside the user partition (PartitionKey <c>erasure</c>, RowKey the
/// user's keyed hash, <see cref="UserKeyHash"/>), holding the user key only while the job runs. Starting a job first
/// queues it in <see cref="PendingJobs"/> (under the same hash, without the user key), so that a job a crash
/// interrupted is found and resumed by the jobs timer (<see cref="ResumeAsync"/>); the finished job removes its entry. Each step records what it is about to erase
/// (counts, and the last row key or blob name counted) under the row's ETag, then erases it; a job resumed after a
/// crash erases again what is still there without counting it twice, and a second runner on the same job loses the
/// ETag race and leaves. Cancel <see cref="RunAsync"/> to bound a call's time; call it again to carry on.
/// </para>
/// <para>
/// A user writing while the job runs: the job ends only when a verification pass finds the partition and the blob
/// prefix empty, so whatever was written before that pass is erased (rows written at keys the job already passed
/// are erased without being counted). The API should refuse the user's writes while <see cref="IsErasingAsync"/>
/// says a job runs; a write after the receipt belongs to a new life of the account.
/// </para>
/// <para>Cost: per 100 rows one query, one job-row write and one transaction; per 5,000 blobs one listing and one job-row write, then one delete per blob.</para>
/// </remarks>
public sealed class ErasureJobs(LifecycleStorage storage, TimeProvider time, UserKeyHash hashes)
{
    /// <summary>The phase of a finished job.</summary>
    public const string DonePhase = "done";

    private const string JobPartition = "erasure";
    private const string RowsPhase = "rows";
    private const string BlobsPhase = "blobs";
    private const string IndexesPhase = "indexes";
    private const string VerifyPhase = "verify";

    private readonly LegalHolds holds = new(storage.Users, time);
    private readonly PendingJobs pending = new(storage.Jobs, time);

    /// <summary>The key of a user's erasure job and receipt: their keyed hash (<see cref="UserKeyHash"/>).</summary>
    public string KeyOf(UserPartition user) => hashes.Of(user);

    /// <summary>
    /// Starts erasing the user, or returns the job already under way (idempotent). A finished job's receipt is returned
    /// as is while the user has no data again (a retried request gets the same receipt); once they have data again, a
    /// new job starts and its receipt replaces the old one.
    /// </summary>
    /// <exception cref="LegalHoldException">The user is under a legal hold.</exception>
    public async Task<ErasureJob> StartAsync(UserPartition user, CancellationToken cancellationToken)
    {
        await RefuseHeldAsync(user, cancellationToken).ConfigureAwait(false);
        var hash = KeyOf(user);
        var existing = await storage.Jobs.FindAsync(JobPartition, hash, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing is not null && ToJob(existing).Done && !await HasDataAsync(user, cancellationToken).ConfigureAwait(false))
        {
            return ToJob(existing);
        }

        // Queued before the job row exists, so that a job is never left without the entry that resumes it.
        await pending.EnqueueAsync(hash, LifecycleJobKinds.Erasure, null, cancellationToken).ConfigureAwait(false);
        if (existing is not null && !ToJob(existing).Done)
        {
            return ToJob(existing);
        }

        var row = new TableEntity(JobPartition, hash)
        {
            ["UserKey"] = user.Key,
            ["Phase"] = RowsPhase,
            ["Pass"] = 1,
            ["Position"] = string.Empty,
            ["Erased"] = new KindTally().ToJson(),
            ["StartedAt"] = time.GetUtcNow(),
        };
        try
        {
            if (existing is null)
            {
                await storage.Jobs.InsertAsync(row, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await storage.Jobs.ReplaceAsync(row, existing.ETag, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Another request started it first.
            return ToJob((await storage.Jobs.FindAsync(JobPartition, hash, cancellationToken: cancellationToken).ConfigureAwait(false))!);
        }

        // Again after the row: the runner of the job this one replaced may have removed the entry in between.
        await pending.EnqueueAsync(hash, LifecycleJobKinds.Erasure, null, cancellationToken).ConfigureAwait(false);
        return ToJob(row);
    }

    /// <summary>Carries the user's job on until it is done (or cancelled: then call again to resume).</summary>
    /// <returns>The job afterwards: the receipt when done; as another runner left it when that one holds the job.</returns>
    /// <exception cref="InvalidOperationException">No job was started for the user.</exception>
    /// <exception cref="LegalHoldException">A legal hold was placed on the user since the job started.</exception>
    public async Task<ErasureJob> RunAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var row = await storage.Jobs.FindAsync(JobPartition, KeyOf(user), cancellationToken: cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("No erasure job was started for this user.");
        return await RunJobAsync(user, row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Carries on the job with key <paramref name="jobKey"/> (a <see cref="PendingJob.UserHash"/>), for a runner that
    /// knows no user: the job row holds the user key while it runs.
    /// </summary>
    /// <returns>The job afterwards, or null when there is none.</returns>
    /// <exception cref="LegalHoldException">A legal hold was placed on the user since the job started.</exception>
    public async Task<ErasureJob?> ResumeAsync(string jobKey, CancellationToken cancellationToken)
    {
        var row = await storage.Jobs.FindAsync(JobPartition, jobKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (row is null || ToJob(row).Done || row.GetString("UserKey") is not { } userKey)
        {
            return row is null ? null : ToJob(row);
        }

        return await RunJobAsync(UserPartition.FromKey(userKey), row, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ErasureJob> RunJobAsync(UserPartition user, TableEntity row, CancellationToken cancellationToken)
    {
        var hash = row.RowKey;
        var state = new JobState(row);
        try
        {
            while (state.Phase != DonePhase)
            {
                if (state.Phase == RowsPhase)
                {
                    await RefuseHeldAsync(user, cancellationToken).ConfigureAwait(false);
                }

                await (state.Phase switch
                {
                    RowsPhase => EraseRowsAsync(user, state, cancellationToken),
                    BlobsPhase => EraseBlobsAsync(user, state, cancellationToken),
                    IndexesPhase => EraseIndexesAsync(user, state, cancellationToken),
                    _ => VerifyAsync(user, state, cancellationToken),
                }).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException) when (state.LostRace)
        {
            // Another runner moved the job on; it carries on from there.
        }

        var latest = await storage.Jobs.FindAsync(JobPartition, hash, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (latest is not null && ToJob(latest).Done)
        {
            await pending.RemoveAsync(hash, LifecycleJobKinds.Erasure, cancellationToken).ConfigureAwait(false);

            // A new job may have replaced the receipt meanwhile (the user wrote and asked again): it keeps its entry.
            if (await storage.Jobs.FindAsync(JobPartition, hash, cancellationToken: cancellationToken).ConfigureAwait(false) is { } now && !ToJob(now).Done)
            {
                await pending.EnqueueAsync(hash, LifecycleJobKinds.Erasure, null, cancellationToken).ConfigureAwait(false);
            }
        }

        return ToJob(latest ?? row);
    }

    /// <summary>The job or receipt with key <paramref name="userHash"/> (<see cref="KeyOf"/>), or null.</summary>
    public async Task<ErasureJob?> GetAsync(string userHash, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userHash);
        var row = await storage.Jobs.FindAsync(JobPartition, userHash, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : ToJob(row);
    }

    /// <summary>Whether an erasure of the user is under way (the API should then refuse the user's writes).</summary>
    public async Task<bool> IsErasingAsync(UserPartition user, CancellationToken cancellationToken) =>
        await GetAsync(KeyOf(user), cancellationToken).ConfigureAwait(false) is { Done: false };

    /// <summary>The users whose erasure is unfinished (for a timer that resumes jobs after a crash).</summary>
    public async Task<IReadOnlyList<UserPartition>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        var rows = await storage.Jobs.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {JobPartition} and Phase ne {DonePhase}"), ["UserKey"], cancellationToken).ConfigureAwait(false);
        return rows.Select(r => r.GetString("UserKey")).OfType<string>().Select(UserPartition.FromKey).ToList();
    }

    private async Task RefuseHeldAsync(UserPartition user, CancellationToken cancellationToken)
    {
        if (await holds.GetAsync(user, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new LegalHoldException();
        }
    }

    /// <summary>The partition, 100 rows at a time: count them (recorded first), then delete them.</summary>
    private async Task EraseRowsAsync(UserPartition user, JobState state, CancellationToken cancellationToken)
    {
        var page = await storage.Users.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"), 100, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (page.Entities.Count == 0)
        {
            await state.SaveAsync(storage.Jobs, BlobsPhase, string.Empty, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var row in page.Entities.Where(r => string.CompareOrdinal(r.RowKey, state.Position) > 0))
        {
            state.Erased.AddRow(UserDataKinds.OfRow(row.RowKey)?.Name ?? "unknown", EntityLimits.SizeOf(row));
        }

        await state.SaveAsync(storage.Jobs, RowsPhase, Max(state.Position, page.Entities[^1].RowKey), cancellationToken).ConfigureAwait(false);
        await storage.Users.DeleteRowsAsync(page.Entities.Select(r => new TableEntity(r.PartitionKey, r.RowKey) { ETag = ETag.All }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The blobs under the user's prefix, a listing page at a time: count them (recorded first), then delete them.</summary>
    private async Task EraseBlobsAsync(UserPartition user, JobState state, CancellationToken cancellationToken)
    {
        var blobs = new List<BlobItem>();
        await foreach (var page in storage.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = UserBlobNames.Of(user.Key) }, cancellationToken).AsPages().ConfigureAwait(false))
        {
            blobs.AddRange(page.Values);
            break;
        }

        if (blobs.Count == 0)
        {
            await state.SaveAsync(storage.Jobs, IndexesPhase, string.Empty, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var blob in blobs.Where(b => string.CompareOrdinal(b.Name, state.Position) > 0))
        {
            state.Erased.AddBlob((UserDataKinds.OfBlob(user.Key, blob.Name)?.ContentKind.Name) ?? "unknown", blob.Properties.ContentLength ?? 0);
        }

        await state.SaveAsync(storage.Jobs, BlobsPhase, Max(state.Position, blobs[^1].Name), cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(blobs, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (blob, token) =>
            await storage.Payloads.GetBlobClient(blob.Name).DeleteBlobAsync(token).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>
    /// Entries naming the user in the index tables (each a scan of the whole table, filtered by RowKey: erasures are
    /// rare, and an index row does not say which user it is without its key), the user's other queued lifecycle jobs,
    /// and the orphan sweep's and the backfill's positions if they name the user.
    /// </summary>
    private async Task EraseIndexesAsync(UserPartition user, JobState state, CancellationToken cancellationToken)
    {
        var userRange = TableClient.CreateQueryFilter($"RowKey gt {user.Key + KeyEncoding.Separator} and RowKey lt {user.Key + (char)(KeyEncoding.Separator + 1)}");
        foreach (var (table, kind) in new[] { (storage.Expiry, "index.expiry"), (storage.MissionDue, "index.missionDue") })
        {
            var entries = await table.ReadAllAsync(userRange, ["RowKey"], cancellationToken).ConfigureAwait(false);
            foreach (var gone in await table.DeleteRowsAsync(entries.Select(e => new TableEntity(e.PartitionKey, e.RowKey) { ETag = ETag.All }), cancellationToken).ConfigureAwait(false))
            {
                state.Erased.AddRow(kind, EntityLimits.SizeOf(gone));
            }
        }

        await ForgetUserJobsAsync(state.Key, cancellationToken).ConfigureAwait(false);
        if (await storage.Jobs.FindAsync(OrphanSweepCursor.Partition, OrphanSweepCursor.Row, cancellationToken: cancellationToken).ConfigureAwait(false) is { } cursor && cursor.GetString("UserKey") == user.Key)
        {
            await storage.Jobs.DeleteRowAsync(cursor.PartitionKey, cursor.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }

        if (await storage.Jobs.FindAsync(ExpiryBackfill.MarkerPartition, ExpiryBackfill.MarkerRow, cancellationToken: cancellationToken).ConfigureAwait(false) is { } backfill
            && backfill.GetString(ExpiryBackfill.ContinuationColumn) is { } position && position.Contains(user.Key, StringComparison.Ordinal))
        {
            // The scan it was in starts over (it is idempotent); a conflict means a runner moved it on already.
            backfill[ExpiryBackfill.ContinuationColumn] = string.Empty;
            try
            {
                await storage.Jobs.ReplaceAsync(backfill, backfill.ETag, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Moved or gone meanwhile: this phase runs again and looks at it again.
                return;
            }
        }

        await state.SaveAsync(storage.Jobs, VerifyPhase, string.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the user's queued lifecycle jobs other than this erasure (they hold the user key).</summary>
    private async Task ForgetUserJobsAsync(string hash, CancellationToken cancellationToken)
    {
        foreach (var job in await pending.OfUserAsync(hash, cancellationToken).ConfigureAwait(false))
        {
            if (job.Kind != LifecycleJobKinds.Erasure)
            {
                await pending.RemoveAsync(hash, job.Kind, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Ends the job when the partition and the blob prefix are empty; otherwise (the user wrote meanwhile) goes round
    /// again. A job queued for the user meanwhile (a request that passed the write check just before the job started)
    /// is removed first.
    /// </summary>
    private async Task VerifyAsync(UserPartition user, JobState state, CancellationToken cancellationToken)
    {
        await ForgetUserJobsAsync(state.Key, cancellationToken).ConfigureAwait(false);
        if (await HasDataAsync(user, cancellationToken).ConfigureAwait(false))
        {
            state.Pass++;
            await state.SaveAsync(storage.Jobs, RowsPhase, string.Empty, cancellationToken).ConfigureAwait(false);
            return;
        }

        await state.FinishAsync(storage.Jobs, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> HasDataAsync(UserPartition user, CancellationToken cancellationToken)
    {
        var rows = await storage.Users.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"), 1, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (rows.Entities.Count > 0)
        {
            return true;
        }

        await foreach (var page in storage.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = UserBlobNames.Of(user.Key) }, cancellationToken).AsPages(pageSizeHint: 1).ConfigureAwait(false))
        {
            return page.Values.Count > 0;
        }

        return false;
    }

    private static string Max(string a, string b) => string.CompareOrdinal(a, b) >= 0 ? a : b;

    private static ErasureJob ToJob(TableEntity row) => new(
        row.RowKey,
        row.GetString("Phase") ?? RowsPhase,
        row.GetInt32("Pass") ?? 1,
        row.GetDateTimeOffset("StartedAt") ?? DateTimeOffset.MinValue,
        row.GetDateTimeOffset("EndedAt"),
        KindTally.FromJson(row.GetString("Erased")).ToList());

    /// <summary>The job row as one runner holds it: every save is conditional on the ETag of its last one.</summary>
    private sealed class JobState(TableEntity row)
    {
        private ETag etag = row.ETag;

        /// <summary>The job's key (the user's keyed hash).</summary>
        public string Key => row.RowKey;

        public string Phase { get; private set; } = row.GetString("Phase") ?? RowsPhase;

        public string Position { get; private set; } = row.GetString("Position") ?? string.Empty;

        public int Pass { get; set; } = row.GetInt32("Pass") ?? 1;

        public KindTally Erased { get; } = KindTally.FromJson(row.GetString("Erased"));

        /// <summary>Whether a save failed because another runner saved first.</summary>
        public bool LostRace { get; private set; }

        public async Task SaveAsync(TableClient jobs, string phase, string position, CancellationToken cancellationToken)
        {
            var update = new TableEntity(row.PartitionKey, row.RowKey)
            {
                ["Phase"] = phase,
                ["Position"] = position,
                ["Pass"] = Pass,
                ["Erased"] = Erased.ToJson(),
            };
            etag = await WriteAsync(() => jobs.MergeAsync(update, etag, cancellationToken)).ConfigureAwait(false);
            Phase = phase;
            Position = position;
        }

        /// <summary>Turns the job row into the receipt: the user key goes.</summary>
        public async Task FinishAsync(TableClient jobs, DateTimeOffset endedAt, CancellationToken cancellationToken)
        {
            var receipt = new TableEntity(row.PartitionKey, row.RowKey)
            {
                ["Phase"] = DonePhase,
                ["Pass"] = Pass,
                ["Erased"] = Erased.ToJson(),
                ["StartedAt"] = row.GetDateTimeOffset("StartedAt"),
                ["EndedAt"] = endedAt,
            };
            etag = await WriteAsync(() => jobs.ReplaceAsync(receipt, etag, cancellationToken)).ConfigureAwait(false);
            Phase = DonePhase;
        }

        private async Task<ETag> WriteAsync(Func<Task<ETag>> write)
        {
            try
            {
                return await write().ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                LostRace = true;
                throw;
            }
        }
    }
}

/// <summary>Where the orphan sweep keeps its position (it names a user, so erasure clears it).</summary>
internal static class OrphanSweepCursor
{
    public const string Partition = "cursor";

    public const string Row = "OrphanSweep";
}
