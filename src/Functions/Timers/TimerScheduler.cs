using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Hosting;
using Serverless.Functions.Storage;
using Serverless.Storage.Blobs;

namespace Serverless.Functions.Timers;

/// <summary>
/// Standalone mode: fires every registered timer job on its schedule when no Functions host does
/// (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c> unset and <see cref="TimerOptions.Standalone"/> on). Any
/// number of instances may run it against the same storage.
/// </summary>
/// <remarks>
/// <para>Per job, each instance loops: wait for the next occurrence; claim it in the timers table;
/// if won, take the blob lock <c>timers/{name}</c>; run the job; record the end. A tick that comes
/// while the loop is late (the machine stalled) is folded into one run for the latest due occurrence,
/// flagged past due, as the host does.</para>
/// <para><b>Why a tick cannot run twice.</b> A run only follows a won claim, and a loop runs a won
/// claim once. Winning means a conditional write (insert-if-absent, or merge-if-ETag-matches) of
/// <c>LastScheduled = occurrence</c> over a row read with <c>LastScheduled &lt; occurrence</c>. The table
/// serializes conditional writes on a row: of the instances that read one version, one write succeeds
/// and the others get 409/412, read again, see <c>LastScheduled &gt;= occurrence</c> and back off. Every
/// won claim raises <c>LastScheduled</c>, so once occurrence o is won no read ever again shows less than
/// o, and no instance (slow, restarted or new) can win o again. A write retried after a lost response
/// re-reads and counts as won only if the stored row is its own; the per-claim <c>ClaimId</c> keeps a
/// rival's claim of the same occurrence from passing for it.</para>
/// <para><b>Why claim first, then lock.</b> The claim alone gives exactly-once per tick; the lock only
/// keeps runs of different ticks from overlapping. Claiming first means at most one instance per tick
/// touches the lease, so failing to get it can only mean an earlier tick's run is still going (logged,
/// tick skipped, as the host skips ticks during a running invocation). Locking first would make every
/// instance contend for the lease on every tick, mix up "a peer took this tick" with "the last run is
/// still going", and still need the claim: a quick run releases the lease before a slow peer asks.</para>
/// <para><b>An instance that dies mid-run</b> (or between claim and lock) leaves its tick claimed, so
/// nobody repeats it: at most once per tick, like the host, which does not retry failed timer runs.
/// Its lease expires within <see cref="TimerOptions.LockLease"/>; ticks claimed before then find the
/// lock held and are skipped; the first tick after runs normally. Jobs must therefore do "everything
/// due" rather than "this tick's slice". A holder whose lease renewal fails gets its job token cancelled
/// while a third of the lease remains, so a job that honours cancellation stops before anyone else can
/// take the lock.</para>
/// <para><b>Clock skew</b> between instances can make a tick fire early or be dropped (a fast clock
/// claims a later occurrence first), never twice: claims are ordered by occurrence, not by arrival.</para>
/// </remarks>
internal sealed partial class TimerScheduler(
    TimerRegistry registry,
    TimerTickStore ticks,
    TimerJobRunner runner,
    AppContainers containers,
    TimeProvider time,
    IOptions<TimerOptions> options,
    IConfiguration configuration,
    ILoggerFactory loggers,
    ILogger<TimerScheduler> logger) : BackgroundService
{
    /// <summary>Waits are cut into pieces this long so that a wall-clock step (NTP, VM resume) is noticed.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(1);

    /// <summary>How long recording a run's end may take, also during shutdown.</summary>
    private static readonly TimeSpan FinishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>This scheduler in the claims it writes (diagnostics only).</summary>
    private readonly string claimer = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The lock blob that keeps one run of a job at a time across instances.</summary>
    internal static string LockName(ScheduledTimerJob job) => "timers/" + job.Name;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (HostPort() is { } port)
        {
            LogUnderHost(logger, port);
            return;
        }

        if (!options.Value.Standalone)
        {
            LogDisabled(logger);
            return;
        }

        if (registry.Jobs.Count == 0)
        {
            return;
        }

        LogStarted(logger, registry.Jobs.Count, claimer);
        await Task.WhenAll(registry.Jobs.Select(job => Task.Run(() => RunJobAsync(job, stoppingToken), CancellationToken.None))).ConfigureAwait(false);
    }

    /// <summary>The host's port variable, from the environment or configuration (which tests can set per app).</summary>
    private string? HostPort() =>
        new[] { CustomHandlerHosting.PortVariable, CustomHandlerHosting.LegacyPortVariable }
            .Select(name => configuration[name] ?? Environment.GetEnvironmentVariable(name))
            .FirstOrDefault(value => !string.IsNullOrEmpty(value));

    private async Task RunJobAsync(ScheduledTimerJob job, CancellationToken stoppingToken)
    {
        var next = job.NextOccurrenceAfter(time.GetUtcNow());
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitUntilAsync(next, stoppingToken).ConfigureAwait(false);
                var firedAt = time.GetUtcNow();

                // Late past several occurrences: one run, for the latest (never a burst of catch-up runs).
                var occurrence = job.LatestOccurrenceAtOrBefore(firedAt) is { } latest && latest > next ? latest : next;
                await FireAsync(job, occurrence, firedAt, stoppingToken).ConfigureAwait(false);
                next = job.NextOccurrenceAfter(Max(occurrence, time.GetUtcNow()));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage trouble and the like cost this tick, never the schedule.
                LogTickFailed(logger, e, job.Name, next);
                next = job.NextOccurrenceAfter(Max(next, time.GetUtcNow()));
            }
        }
    }

    private async Task FireAsync(ScheduledTimerJob job, DateTimeOffset occurrence, DateTimeOffset firedAt, CancellationToken stoppingToken)
    {
        var claim = await ticks.TryClaimAsync(job, occurrence, claimer, stoppingToken).ConfigureAwait(false);
        if (claim is null)
        {
            LogClaimedElsewhere(logger, job.Name, occurrence);
            return;
        }

        var held = await BlobLock.TryAcquireAsync(containers.Locks, LockName(job), options.Value.LockLease, stoppingToken).ConfigureAwait(false);
        if (held is null)
        {
            LogStillRunning(logger, job.Name, occurrence);
            return;
        }

        await using (held.ConfigureAwait(false))
        {
            using var jobToken = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, held.LockLost);
            var invocation = new TimerInvocation
            {
                FunctionName = job.Name,
                InvocationId = Guid.NewGuid().ToString(),
                ScheduledTime = occurrence,
                FiredAt = firedAt,
                IsPastDue = IsPastDue(job, claim, occurrence, firedAt),
                ScheduleStatus = new TimerScheduleStatus(claim.PreviousScheduled, job.NextOccurrenceAfter(occurrence), claim.PreviousUpdated ?? firedAt),

                // What the host reports for NCRONTAB schedules; UTC has no DST to adjust for.
                AdjustForDst = true,
                Source = TimerInvocationSource.Standalone,
                Logger = new TimerInvocationLog(loggers.CreateLogger(job.JobType)),
            };

            string outcome;
            try
            {
                await runner.RunAsync(job, invocation, jobToken.Token).ConfigureAwait(false);
                outcome = "Succeeded";
            }
            catch (OperationCanceledException) when (jobToken.IsCancellationRequested)
            {
                outcome = held.LockLost.IsCancellationRequested ? "LockLost" : "Cancelled";
                if (held.LockLost.IsCancellationRequested)
                {
                    LogLockLost(logger, job.Name, occurrence);
                }
            }
            catch (Exception)
            {
                // The runner logged it; a failed run is not repeated (see the remarks).
                outcome = "Failed";
            }

            await RecordFinishedAsync(job, outcome).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Past due when an occurrence fell between the last claim or run end and this one (nobody was
    /// there to claim it: downtime), or when this run starts noticeably late. Ticks skipped because the
    /// job was still running do not count: the run's end is after them.
    /// </summary>
    private bool IsPastDue(ScheduledTimerJob job, TimerClaim claim, DateTimeOffset occurrence, DateTimeOffset firedAt)
    {
        var basis = Max(claim.PreviousScheduled, claim.PreviousFinished);
        var missed = basis is { } b && job.NextOccurrenceAfter(b) < occurrence;
        return missed || firedAt - occurrence > options.Value.LateAfter;
    }

    private async Task RecordFinishedAsync(ScheduledTimerJob job, string outcome)
    {
        try
        {
            // Not the stopping token: a run that ended during shutdown should still be on record.
            using var timeout = new CancellationTokenSource(FinishTimeout);
            await ticks.RecordFinishedAsync(job, outcome, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException)
        {
            // Only past-due detection reads it; the claim row is what guarantees once per tick.
            LogFinishNotRecorded(logger, e, job.Name);
        }
    }

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

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : Max(a.Value, b.Value);

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Standalone timer scheduler running {Count} jobs as {Claimer}")]
    private static partial void LogStarted(ILogger logger, int count, string claimer);

    [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "Standalone timer scheduler off: the Functions host fires timers (port {Port})")]
    private static partial void LogUnderHost(ILogger logger, string port);

    [LoggerMessage(EventId = 312, Level = LogLevel.Information, Message = "Standalone timer scheduler off: Timers:Standalone is false")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 313, Level = LogLevel.Debug, Message = "Timer {Job} tick {Occurrence:o} was claimed by another instance")]
    private static partial void LogClaimedElsewhere(ILogger logger, string job, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 314, Level = LogLevel.Warning, Message = "Timer {Job} tick {Occurrence:o} skipped: a previous run still holds the job's lock")]
    private static partial void LogStillRunning(ILogger logger, string job, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 315, Level = LogLevel.Error, Message = "Timer {Job} tick near {Occurrence:o} could not be fired")]
    private static partial void LogTickFailed(ILogger logger, Exception exception, string job, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 316, Level = LogLevel.Error, Message = "Timer {Job} tick {Occurrence:o} lost its lock mid-run; the job was cancelled")]
    private static partial void LogLockLost(ILogger logger, string job, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 317, Level = LogLevel.Warning, Message = "Timer {Job}: the end of its run could not be recorded")]
    private static partial void LogFinishNotRecorded(ILogger logger, Exception exception, string job);
}
