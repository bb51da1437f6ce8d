using Microsoft.Extensions.Options;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>
/// <c>RetentionSweep</c>: one run of the retention sweep (<see cref="RetentionSweep"/>), at most
/// <see cref="LifecycleRunOptions.RetentionMaxEntries"/> expiry entries; what is left waits for the next run. The sweep
/// is idempotent, so runs that overlap (after a restart, an operator's run) delete each row once between them.
/// </summary>
public sealed partial class RetentionSweepJob(RetentionSweep sweep, IOptions<LifecycleRunOptions> options, ILogger<RetentionSweepJob> logger) : ITimerJob
{
    /// <summary>The function name.</summary>
    public const string Name = "RetentionSweep";

    /// <summary>The app setting <c>Lifecycle:RetentionSchedule</c>: every 15 minutes, as shipped.</summary>
    public const string Schedule = "%Lifecycle:RetentionSchedule%";

    /// <inheritdoc />
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var report = await sweep.RunAsync(dryRun: false, options.Value.RetentionMaxEntries, cancellationToken);
        var rows = report.Deleted.Sum(k => k.Rows);
        var blobs = report.Deleted.Sum(k => k.Blobs);
        var elapsed = (report.EndedAt - report.StartedAt).TotalMilliseconds;
        LogSwept(logger, report.Entries, report.Purged, report.Stale, report.Rescheduled, report.Held, report.Deferred, rows, blobs, report.Complete, elapsed);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "RetentionSweep: {Entries} expiry entries read: {Purged} purged, {Stale} stale, {Rescheduled} rescheduled, {Held} held, {Deferred} deferred; {Rows} rows and {Blobs} blobs deleted; complete {Complete}; {ElapsedMs:F0} ms")]
    private static partial void LogSwept(ILogger logger, int entries, int purged, int stale, int rescheduled, int held, int deferred, long rows, long blobs, bool complete, double elapsedMs);
}
