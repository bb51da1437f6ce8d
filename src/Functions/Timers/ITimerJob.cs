namespace Serverless.Functions.Timers;

/// <summary>
/// The work behind one timer function. The same handler runs whether the Functions host fired the
/// timer (<c>POST /{Name}</c>) or the standalone scheduler did. Register it with
/// <see cref="TimerSetup.AddTimerJob{TJob}"/>; a fresh instance is resolved from a new DI scope for
/// every invocation.
/// </summary>
/// <remarks>
/// Timers are at-least-once per unit of work but at-most-once per tick: a run that fails or dies is
/// not repeated for that tick (the host does not retry failed timer runs either). Write jobs as
/// "process everything that is due" rather than "process this tick's slice", so the next tick picks up
/// what a lost run left, and use <see cref="TimerInvocation.FunctionName"/> with
/// <see cref="TimerInvocation.ScheduledTime"/> as a deterministic id where receivers deduplicate.
/// </remarks>
public interface ITimerJob
{
    /// <summary>Runs one firing. Throwing fails the run: the host marks it failed; standalone, it is logged and the schedule goes on.</summary>
    /// <param name="invocation">What fired and when. Log through <see cref="TimerInvocation.Logger"/> so the lines reach the host's invocation log.</param>
    /// <param name="cancellationToken">
    /// Fires on shutdown, when the host abandons the call, and (standalone) when the job's lock is lost.
    /// Stop promptly then: after a lost lock another instance may start the job.
    /// </param>
    Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}
