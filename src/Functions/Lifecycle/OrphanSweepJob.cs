using Microsoft.Extensions.Options;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>
/// <c>OrphanSweep</c>: one run of the orphan sweep (<see cref="OrphanSweep"/>) over at most
/// <see cref="LifecycleRunOptions.OrphanSweepMaxUsers"/> users, carrying on after the last user the previous run
/// swept; a full pass starts over. Blobs no row references and older than <c>Lifecycle:OrphanGrace</c> go after a
/// re-check right before the delete, so overlapping runs lose nothing.
/// </summary>
public sealed partial class OrphanSweepJob(OrphanSweep sweep, IOptions<LifecycleOptions> lifecycle, IOptions<LifecycleRunOptions> options, ILogger<OrphanSweepJob> logger) : ITimerJob
{
    /// <summary>The function name.</summary>
    public const string Name = "OrphanSweep";

    /// <summary>The app setting <c>Lifecycle:OrphanSweepSchedule</c>: daily at 03:30 UTC, as shipped.</summary>
    public const string Schedule = "%Lifecycle:OrphanSweepSchedule%";

    /// <inheritdoc />
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var report = await sweep.RunAsync(lifecycle.Value.OrphanGrace, dryRun: false, options.Value.OrphanSweepMaxUsers, cancellationToken);
        var bytes = report.Deleted.Sum(k => k.BlobBytes);
        LogSwept(logger, report.Users, report.HeldUsers, report.BlobsChecked, report.Orphans.Count, bytes, report.Unknown.Count, report.Complete);

        foreach (var unknown in report.Unknown.Take(20))
        {
            LogUnknown(logger, unknown);
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information,
        Message = "OrphanSweep: {Users} users swept ({Held} under a legal hold, skipped), {Blobs} blobs listed, {Orphans} orphans deleted ({Bytes} bytes), {Unknown} blobs of no known folder; pass complete {Complete}")]
    private static partial void LogSwept(ILogger logger, int users, int held, long blobs, int orphans, long bytes, int unknown, bool complete);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "OrphanSweep: {Name} belongs to no registered blob folder; it was left in place")]
    private static partial void LogUnknown(ILogger logger, string name);
}
