using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;

namespace Serverless.Functions.Lifecycle;

/// <summary>
/// The caller's own data as a whole, under <c>/api/v1/me</c>: erase it (<c>DELETE /me</c>, a job with a receipt),
/// its storage usage, an integrity check and repair, its schema migrations. Everything here is the caller's: the user
/// comes from the token only, so no one can ask about another user.
/// </summary>
/// <remarks>
/// Erasure, usage and integrity are jobs (design.md §2): the request does a bounded share
/// (<see cref="LifecycleRunOptions.RequestWorkBudget"/>) and answers 200 when that finished the work, otherwise 202
/// with the resource to poll in <c>Location</c>; the jobs timer carries on. Usage and integrity keep their last
/// report, which reads answer; a report older than <see cref="LifecycleRunOptions.ReportMaxAge"/> queues a new one.
/// While an erasure runs, usage and integrity answer 409 <c>erasure_in_progress</c>, as every write does.
/// </remarks>
public static class LifecycleEndpoints
{
    /// <summary>The caller's account, relative to the <c>api</c> route prefix.</summary>
    public const string MeRoute = "v1/me";

    /// <summary>The caller's erasure job or receipt.</summary>
    public const string ErasureRoute = "v1/me/erasure";

    /// <summary>The caller's storage usage.</summary>
    public const string UsageRoute = "v1/me/usage";

    /// <summary>Asks for a new usage report.</summary>
    public const string UsageRefreshRoute = "v1/me/usage/refresh";

    /// <summary>The caller's last integrity check.</summary>
    public const string IntegrityRoute = "v1/me/integrity";

    /// <summary>Repairs what can be repaired.</summary>
    public const string RepairRoute = "v1/me/integrity/repair";

    /// <summary>The caller's schema migrations.</summary>
    public const string MigrationsRoute = "v1/me/migrations";

    /// <summary>A report younger than this is answered as is by an explicit refresh: refreshing costs a scan.</summary>
    public static readonly TimeSpan RefreshCooldown = TimeSpan.FromMinutes(1);

    /// <summary>What a 202 tells the client to wait before polling, in seconds.</summary>
    private const string PollAfterSeconds = "5";

    /// <summary>Maps the operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var me = api.MapGroup(string.Empty).WithTags("Account");
        me.MapDelete(MeRoute, DeleteMe).WithName(nameof(LifecycleFunctions.DeleteMe))
            .WithSummary("Erases every row, blob and index entry of the caller, as a job: 202 with the job to poll at /me/erasure (200 when it finished within the request); asking again returns the same job.")
            .Answers<ErasureView>().Answers<ErasureView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location).ProducesProblems(409);
        me.MapGet(ErasureRoute, GetErasure).WithName(nameof(LifecycleFunctions.GetErasure))
            .WithSummary("The caller's erasure job while it runs, and its receipt once done (counts and bytes per kind, start and end; no personal data).")
            .Answers<ErasureView>().ProducesProblems(404);
        me.MapGet(UsageRoute, GetStorageUsage).WithName(nameof(LifecycleFunctions.GetStorageUsage))
            .WithSummary("Rows and bytes per kind (table and blobs) as last computed, with the time; 202 while the first computation runs.")
            .Answers<StorageUsageView>().Answers<LifecycleJobView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location).ProducesProblems(409);
        me.MapPost(UsageRefreshRoute, RefreshStorageUsage).WithName(nameof(LifecycleFunctions.RefreshStorageUsage))
            .WithSummary("Computes the usage again: 200 with it when done within the request, else 202 (poll /me/usage).")
            .Answers<StorageUsageView>().Answers<LifecycleJobView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location);
        me.MapGet(IntegrityRoute, GetIntegrity).WithName(nameof(LifecycleFunctions.GetIntegrity))
            .WithSummary("The last integrity check of the caller's data (dangling references, orphan blobs, segment and counter mismatches); 202 while the first check runs.")
            .Answers<IntegrityView>().Answers<LifecycleJobView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location).ProducesProblems(409);
        me.MapPost(RepairRoute, RepairIntegrity).WithName(nameof(LifecycleFunctions.RepairIntegrity))
            .WithSummary("Repairs what can be repaired safely, then checks again: 200 with what was fixed and what is left, or 202 (poll /me/integrity).")
            .Answers<IntegrityView>().Answers<LifecycleJobView>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.Location);
        me.MapGet(MigrationsRoute, ListMigrations).WithName(nameof(LifecycleFunctions.ListMigrations))
            .WithSummary("Every schema migration step and when it ran for the caller's data; pending steps queue the background job.")
            .Answers<MigrationsView>();
    }

    /// <summary>DELETE the caller's data.</summary>
    public static async Task<IResult> DeleteMe(CurrentUser user, LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var job = await jobs.Erasure.StartAsync(user.Partition, cancellationToken);
        if (!job.Done)
        {
            job = await RequestShare.RunAsync(options.Value.RequestWorkBudget, time, token => jobs.Erasure.RunAsync(user.Partition, token), cancellationToken)
                ?? await jobs.Erasure.GetAsync(job.UserHash, cancellationToken)
                ?? job;
        }

        var view = ErasureView.From(job);
        return job.Done ? TypedResults.Ok(view) : Accepted("/api/" + ErasureRoute, view);
    }

    /// <summary>GET the caller's erasure job or receipt.</summary>
    public static async Task<IResult> GetErasure(CurrentUser user, LifecycleJobs jobs, CancellationToken cancellationToken) =>
        await jobs.Erasure.GetAsync(jobs.HashOf(user.Partition), cancellationToken) is { } job
            ? TypedResults.Ok(ErasureView.From(job))
            : Problems.Result(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found.", "No erasure of your data was requested.");

    /// <summary>GET the caller's usage.</summary>
    public static async Task<IResult> GetStorageUsage(CurrentUser user, LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var me = user.Partition;
        await jobs.RefuseErasingAsync(me, cancellationToken);
        var report = await jobs.Reports.GetUsageAsync(me, cancellationToken);
        var queued = await jobs.QueuedAsync(me, LifecycleJobKinds.Usage, cancellationToken);
        return await KeptReportAsync(
            me, jobs, options.Value, time, report, report?.ComputedAt, queued, LifecycleJobKinds.Usage, UsageRoute,
            token => jobs.ComputeUsageAsync(me, token), StorageUsageView.From, cancellationToken);
    }

    /// <summary>POST a new usage computation.</summary>
    public static async Task<IResult> RefreshStorageUsage(CurrentUser user, LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var me = user.Partition;
        if (await jobs.QueuedAsync(me, LifecycleJobKinds.Usage, cancellationToken) is { } queued)
        {
            return Accepted("/api/" + UsageRoute, LifecycleJobView.From(queued));
        }

        if (await jobs.Reports.GetUsageAsync(me, cancellationToken) is { } recent && time.GetUtcNow() - recent.ComputedAt < RefreshCooldown)
        {
            return TypedResults.Ok(StorageUsageView.From(recent, null));
        }

        return await RequestShare.RunAsync(options.Value.RequestWorkBudget, time, token => jobs.ComputeUsageAsync(me, token), cancellationToken) is { } computed
            ? TypedResults.Ok(StorageUsageView.From(computed, null))
            : Accepted("/api/" + UsageRoute, LifecycleJobView.From(await jobs.QueueAsync(me, LifecycleJobKinds.Usage, cancellationToken)));
    }

    /// <summary>GET the caller's last integrity check.</summary>
    public static async Task<IResult> GetIntegrity(CurrentUser user, LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var me = user.Partition;
        await jobs.RefuseErasingAsync(me, cancellationToken);
        var summary = await jobs.Reports.GetIntegrityAsync(me, cancellationToken);
        var queued = await jobs.QueuedAsync(me, LifecycleJobKinds.Repair, cancellationToken) ?? await jobs.QueuedAsync(me, LifecycleJobKinds.Integrity, cancellationToken);
        return await KeptReportAsync(
            me, jobs, options.Value, time, summary, summary?.CheckedAt, queued, LifecycleJobKinds.Integrity, IntegrityRoute,
            token => jobs.CheckIntegrityAsync(me, repair: false, token), IntegrityView.From, cancellationToken);
    }

    /// <summary>
    /// The answer of a GET of a kept report: without one, the report computed within the request's share, or 202 with the
    /// job (queued now unless one is); with one, the report, and a new computation queued when it is older than
    /// <see cref="LifecycleRunOptions.ReportMaxAge"/> and none is queued.
    /// </summary>
    private static async Task<IResult> KeptReportAsync<TReport, TView>(
        UserPartition me, LifecycleJobs jobs, LifecycleRunOptions options, TimeProvider time, TReport? kept, DateTimeOffset? keptAt, PendingJob? queued,
        string kind, string route, Func<CancellationToken, Task<TReport>> compute, Func<TReport, PendingJob?, TView> view, CancellationToken cancellationToken)
        where TReport : class
    {
        if (kept is null)
        {
            return queued is null && await RequestShare.RunAsync(options.RequestWorkBudget, time, compute, cancellationToken) is { } computed
                ? TypedResults.Ok(view(computed, null))
                : Accepted("/api/" + route, LifecycleJobView.From(queued ?? await jobs.QueueAsync(me, kind, cancellationToken)));
        }

        if (queued is null && time.GetUtcNow() - keptAt > options.ReportMaxAge)
        {
            queued = await jobs.QueueAsync(me, kind, cancellationToken);
        }

        return TypedResults.Ok(view(kept, queued));
    }

    /// <summary>POST a repair of the caller's data.</summary>
    public static async Task<IResult> RepairIntegrity(CurrentUser user, LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var me = user.Partition;
        if (await jobs.QueuedAsync(me, LifecycleJobKinds.Repair, cancellationToken) is { } queued)
        {
            return Accepted("/api/" + IntegrityRoute, LifecycleJobView.From(queued));
        }

        return await RequestShare.RunAsync(options.Value.RequestWorkBudget, time, token => jobs.CheckIntegrityAsync(me, repair: true, token), cancellationToken) is { } repaired
            ? TypedResults.Ok(IntegrityView.From(repaired, null))
            : Accepted("/api/" + IntegrityRoute, LifecycleJobView.From(await jobs.QueueAsync(me, LifecycleJobKinds.Repair, cancellationToken)));
    }

    /// <summary>GET the caller's schema migrations.</summary>
    public static async Task<IResult> ListMigrations(CurrentUser user, LifecycleJobs jobs, CancellationToken cancellationToken)
    {
        var me = user.Partition;
        var view = MigrationsView.From(SchemaMigrations.Current, await jobs.Migrations.RecordsAsync(me, cancellationToken), await jobs.QueuedAsync(me, LifecycleJobKinds.Migration, cancellationToken));
        if (!view.Current && view.JobQueuedAt is null && await jobs.QueueMigrationIfNeededAsync(me, cancellationToken))
        {
            view = view with { JobQueuedAt = (await jobs.QueuedAsync(me, LifecycleJobKinds.Migration, cancellationToken))?.RequestedAt };
        }

        return TypedResults.Ok(view);
    }

    /// <summary>202 with the resource to poll, and when to poll it.</summary>
    private static AcceptedWithRetry<T> Accepted<T>(string location, T body) => new(location, body);

    /// <summary>A 202 with <c>Location</c> and <c>Retry-After</c>.</summary>
    private sealed class AcceptedWithRetry<T>(string location, T body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = PollAfterSeconds;
            return TypedResults.Accepted(location, body).ExecuteAsync(httpContext);
        }
    }
}
