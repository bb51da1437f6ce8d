namespace Serverless.Functions.Timers;

/// <summary>
/// The work behind one timer function. The same job runs whether the Functions host fired its
/// <c>[TimerTrigger]</c> function or the local server's <see cref="LocalTimerScheduler"/> did.
/// Register it with <see cref="TimerSetup.AddTimerJob{TJob}"/>; a fresh instance is resolved from a
/// new DI scope for every run.
/// </summary>
/// <remarks>
/// Timers are at-least-once per unit of work: a run that fails or dies is not repeated for that
/// occurrence (the host does not retry failed timer runs either). Write jobs as "process everything
/// that is due" rather than "process this occurrence's slice", so the next run picks up what a lost
/// one left, and give each unit of work a deterministic id where receivers deduplicate.
/// </remarks>
public interface ITimerJob
{
    /// <summary>Runs one firing. Throwing fails the run: the host records it failed; locally it is logged and the schedule goes on.</summary>
    /// <param name="invocation">What fired and when.</param>
    /// <param name="cancellationToken">Fires on shutdown or when the host abandons the run.</param>
    Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}
