using Microsoft.Extensions.Options;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>
/// <c>LifecycleJobs</c>: the continuation of every per-user job that outlives its request (erasures, usage reports,
/// integrity checks and repairs, schema migrations; <see cref="LifecycleJobs.RunPendingAsync"/>), and while it is not
/// done the one-off expiry backfill of data written before the expiry index existed. Each run does at most
/// <see cref="LifecycleRunOptions.JobsPerRun"/> jobs within <see cref="LifecycleRunOptions.JobsRunBudget"/>.
/// </summary>
public sealed partial class LifecycleJobsJob(LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, ILogger<LifecycleJobsJob> logger) : ITimerJob
{
    /// <summary>The function name.</summary>
    public const string Name = "LifecycleJobs";

    /// <summary>The app setting <c>Lifecycle:JobsSchedule</c>: every minute at second 30, as shipped.</summary>
    public const string Schedule = "%Lifecycle:JobsSchedule%";

    /// <inheritdoc />
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var report = await jobs.RunPendingAsync(o.JobsPerRun, o.JobsRunBudget, o.BackfillPagesPerRun, cancellationToken);
        foreach (var failed in report.Jobs.Where(j => j.Outcome == "failed"))
        {
            LogFailed(logger, failed.Kind, failed.UserHash, failed.Error);
        }

        if (report.Jobs.Count > 0 || report.Backfill is { Pages: > 0 })
        {
            var (done, continued, dropped, held, failed) = (report.Count("done"), report.Count("continued"), report.Count("dropped"), report.Count("held"), report.Count("failed"));
            var backfillPhase = report.Backfill?.Phase ?? "not reached";
            var backfillPages = report.Backfill?.Pages ?? 0;
            LogRun(logger, report.Jobs.Count, done, continued, dropped, held, failed, report.Left, backfillPhase, backfillPages);
        }
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Information,
        Message = "LifecycleJobs: {Jobs} jobs: {Done} done, {Continued} continued, {Dropped} dropped, {Held} held, {Failed} failed; more left {Left}; expiry backfill {BackfillPhase} after {BackfillPages} pages")]
    private static partial void LogRun(ILogger logger, int jobs, int done, int continued, int dropped, int held, int failed, bool left, string backfillPhase, int backfillPages);

    [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "LifecycleJobs: {Kind} job {UserHash} failed and stays queued: {Error}")]
    private static partial void LogFailed(ILogger logger, string kind, string userHash, string? error);
}
