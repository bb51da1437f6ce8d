using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>Rows and bytes of one kind of data: table rows and their bytes, blobs and their stored (compressed) bytes.</summary>
/// <param name="Kind">The kind (<c>thread</c>, <c>message</c>, <c>mission.run</c>, …; <c>orphan</c> for blobs no row references; <c>index.*</c> for index entries).</param>
/// <param name="Rows">Table rows.</param>
/// <param name="RowBytes">Their size as the Table service counts it.</param>
/// <param name="Blobs">Blobs.</param>
/// <param name="BlobBytes">Their stored bytes.</param>
public sealed record KindStorageUsageView(string Kind, long Rows, long RowBytes, long Blobs, long BlobBytes)
{
    /// <summary>Maps stored counts.</summary>
    public static KindStorageUsageView From(KindCount count) => new(count.Kind, count.Rows, count.RowBytes, count.Blobs, count.BlobBytes);
}

/// <summary>Rows and bytes of every kind together.</summary>
/// <param name="Rows">Table rows.</param>
/// <param name="RowBytes">Their bytes.</param>
/// <param name="Blobs">Blobs.</param>
/// <param name="BlobBytes">Their stored bytes.</param>
public sealed record StorageUsageTotalsView(long Rows, long RowBytes, long Blobs, long BlobBytes)
{
    /// <summary>The totals of <paramref name="counts"/>.</summary>
    public static StorageUsageTotalsView Of(IReadOnlyCollection<KindCount> counts) =>
        new(counts.Sum(c => c.Rows), counts.Sum(c => c.RowBytes), counts.Sum(c => c.Blobs), counts.Sum(c => c.BlobBytes));
}

/// <summary>An erasure of the caller's data (<c>DELETE /api/v1/me</c>) while it runs, and its receipt once done. It holds no personal data.</summary>
/// <param name="Id">The receipt's id: a keyed one-way hash of the user (it cannot be turned back into the user id).</param>
/// <param name="State"><c>running</c> or <c>done</c>.</param>
/// <param name="Phase">Where a running job is: <c>rows</c>, <c>blobs</c>, <c>indexes</c>, <c>verify</c>; <c>done</c> at the end.</param>
/// <param name="Pass">Passes over the data (more than 1 when data was written while it ran).</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When it ended, or null.</param>
/// <param name="Totals">Everything erased so far.</param>
/// <param name="Erased">Erased so far, per kind (index entries as <c>index.expiry</c>, <c>index.missionDue</c>).</param>
public sealed record ErasureView(string Id, string State, string Phase, int Pass, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, StorageUsageTotalsView Totals, IReadOnlyList<KindStorageUsageView> Erased)
{
    /// <summary>Maps a job or receipt.</summary>
    public static ErasureView From(ErasureJob job) =>
        new(job.UserHash, job.Done ? "done" : "running", job.Phase, job.Pass, job.StartedAt, job.EndedAt, StorageUsageTotalsView.Of(job.Erased.ToList()), job.Erased.Select(KindStorageUsageView.From).ToList());
}

/// <summary>The caller's storage usage, as last computed.</summary>
/// <param name="ComputedAt">When it was computed.</param>
/// <param name="Requests">Storage requests the computation took (its cost).</param>
/// <param name="Totals">Every kind together.</param>
/// <param name="Kinds">Per kind; blobs count under the kind of the row that references them.</param>
/// <param name="RefreshRequestedAt">When a newer computation was queued, while it is; else null.</param>
public sealed record StorageUsageView(DateTimeOffset ComputedAt, int Requests, StorageUsageTotalsView Totals, IReadOnlyList<KindStorageUsageView> Kinds, DateTimeOffset? RefreshRequestedAt)
{
    /// <summary>Maps a report and the refresh queued, if any.</summary>
    public static StorageUsageView From(UsageReport report, PendingJob? refresh) =>
        new(report.ComputedAt, report.Requests, StorageUsageTotalsView.Of(report.Kinds.ToList()), report.Kinds.Select(KindStorageUsageView.From).ToList(), refresh?.RequestedAt);
}

/// <summary>A job of the caller's that runs in the background; poll the <c>Location</c> it came with.</summary>
/// <param name="Kind"><c>usage</c>, <c>integrity</c>, <c>repair</c> or <c>migration</c>.</param>
/// <param name="State"><c>queued</c>: waiting for, or running in, the jobs timer.</param>
/// <param name="RequestedAt">When it was requested.</param>
public sealed record LifecycleJobView(string Kind, string State, DateTimeOffset RequestedAt)
{
    /// <summary>Maps a queued job.</summary>
    public static LifecycleJobView From(PendingJob job) => new(job.Kind, "queued", job.RequestedAt);
}

/// <summary>One thing wrong with the caller's data.</summary>
/// <param name="Code">
/// <c>dangling_reference</c>, <c>orphan_blob</c>, <c>segment_mismatch</c>, <c>sealed_row_present</c>, <c>message_count</c>,
/// <c>next_sequence</c>, <c>list_row_missing</c>, <c>list_row_stale</c> or <c>rows_without_thread</c>.
/// </param>
/// <param name="Subject">The row key or blob name concerned.</param>
/// <param name="Detail">What was found.</param>
/// <param name="Repairable">Whether a repair fixes it.</param>
public sealed record IntegrityProblemView(string Code, string Subject, string Detail, bool Repairable);

/// <summary>How many problems of one code.</summary>
/// <param name="Code">The problem code.</param>
/// <param name="Count">How many.</param>
public sealed record ProblemCountView(string Code, int Count);

/// <summary>The caller's last integrity check: what is wrong, and after a repair what the repair did.</summary>
/// <param name="CheckedAt">When the data was read.</param>
/// <param name="RepairedAt">When a repair ran just before the check, or null.</param>
/// <param name="ProblemCount">Problems found (after the repair, if one ran): what is left.</param>
/// <param name="ByCode">Problems per code.</param>
/// <param name="Problems">The problems, the first 100 at most (fewer when long).</param>
/// <param name="Repairs">What the repair did, one line each (empty after a check alone).</param>
/// <param name="RecheckRequestedAt">When a newer check or repair was queued, while it is; else null.</param>
public sealed record IntegrityView(
    DateTimeOffset CheckedAt,
    DateTimeOffset? RepairedAt,
    int ProblemCount,
    IReadOnlyList<ProblemCountView> ByCode,
    IReadOnlyList<IntegrityProblemView> Problems,
    IReadOnlyList<string> Repairs,
    DateTimeOffset? RecheckRequestedAt)
{
    /// <summary>Maps a kept check and the recheck queued, if any.</summary>
    public static IntegrityView From(IntegritySummary summary, PendingJob? recheck) => new(
        summary.CheckedAt,
        summary.RepairedAt,
        summary.ProblemCount,
        summary.ByCode.Select(c => new ProblemCountView(c.Code, c.Count)).ToList(),
        summary.Problems.Select(p => new IntegrityProblemView(p.Code, p.Subject, p.Detail, p.Repairable)).ToList(),
        summary.Repairs,
        recheck?.RequestedAt);
}

/// <summary>One schema migration step and where it stands for the caller.</summary>
/// <param name="Kind">The kind of data it upgrades.</param>
/// <param name="Version">The version it upgrades to.</param>
/// <param name="Name">What it does.</param>
/// <param name="State"><c>applied</c> (the background job rewrote the rows), <c>running</c>, or <c>pending</c> (rows are upgraded as they are read meanwhile).</param>
/// <param name="Rows">Rows the job covered (for a kind's latest step; 0 for earlier ones).</param>
/// <param name="AppliedAt">When the job finished the step, or null.</param>
public sealed record MigrationStepView(string Kind, int Version, string Name, string State, long Rows, DateTimeOffset? AppliedAt);

/// <summary>The caller's schema migrations: every step, what ran when (the seeds' <c>_migrations</c>).</summary>
/// <param name="Current">Whether every step has been applied.</param>
/// <param name="Steps">Every step, kind by kind in version order.</param>
/// <param name="JobQueuedAt">When the background job was queued, while it is; else null.</param>
public sealed record MigrationsView(bool Current, IReadOnlyList<MigrationStepView> Steps, DateTimeOffset? JobQueuedAt)
{
    /// <summary>Every registered step merged with the user's records.</summary>
    public static MigrationsView From(SchemaMigrations migrations, IReadOnlyList<MigrationRecord> records, PendingJob? job)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        var steps = migrations.All.Select(step =>
        {
            var record = records.FirstOrDefault(r => r.Kind == step.Kind && r.Version == step.Version);
            var state = record?.AppliedAt is not null ? "applied" : record is not null ? "running" : "pending";
            return new MigrationStepView(step.Kind, step.Version, step.Name, state, record?.Rows ?? 0, record?.AppliedAt);
        }).ToList();
        return new MigrationsView(steps.All(s => s.State == "applied"), steps, job?.RequestedAt);
    }
}
