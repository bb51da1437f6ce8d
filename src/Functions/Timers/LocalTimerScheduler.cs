namespace Serverless.Functions.Timers;

/// <summary>
/// The local server's timer scheduler: runs every registered job on its schedule, in this process.
/// The local server only ever runs as one process, so unlike the Functions host (which holds a blob
/// lease so that one instance runs a timer at a time) it needs no claims or leases. Each job runs
/// at most once at a time: an occurrence that passes while the previous run is still going is not
/// queued; the next run starts when that one ends, marked past due, and later occurrences follow
/// the schedule again.
/// </summary>
public sealed partial class LocalTimerScheduler(TimerRegistry registry, TimerJobRunner runner, TimeProvider time, ILogger<LocalTimerScheduler> logger) : BackgroundService
{
    /// <summary>The longest single wait, so a clock change is noticed within this.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var job in registry.Jobs)
        {
            LogScheduled(logger, job.Name, job.ResolvedScheduleExpression);
        }

        return Task.WhenAll(registry.Jobs.Select(job => RunScheduleAsync(job, stoppingToken)));
    }

    private async Task RunScheduleAsync(ScheduledTimerJob job, CancellationToken stoppingToken)
    {
        var due = job.NextOccurrenceAfter(time.GetUtcNow());
        while (!stoppingToken.IsCancellationRequested && due != DateTimeOffset.MaxValue)
        {
            try
            {
                await WaitUntilAsync(due, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var firedAt = time.GetUtcNow();
            var next = job.NextOccurrenceAfter(due);
            var invocation = new TimerInvocation(job.Name, firedAt, IsPastDue: firedAt - due > LateAfter, next);
            try
            {
                await runner.RunAsync(job.JobType, invocation, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The runner logged it; a failed run is not repeated (see ITimerJob).
            }

            // Occurrences that passed during the run collapse into one run now (past due), as the host does.
            var now = time.GetUtcNow();
            due = next > now ? next : now;
        }
    }

    /// <summary>A run that starts this long after its occurrence is reported past due.</summary>
    internal static TimeSpan LateAfter { get; } = TimeSpan.FromSeconds(10);

    private async Task WaitUntilAsync(DateTimeOffset due, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = due - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            // Rounded up: timers have millisecond resolution, and waking a hair early only means waiting again.
            var wait = remaining < MaxWait ? TimeSpan.FromMilliseconds(Math.Ceiling(remaining.TotalMilliseconds)) : MaxWait;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Local timer scheduler runs {Job} on '{Schedule}' (UTC)")]
    private static partial void LogScheduled(ILogger logger, string job, string schedule);
}
