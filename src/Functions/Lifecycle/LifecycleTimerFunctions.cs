using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Lifecycle;

/// <summary>The lifecycle's timer jobs as timer functions: the Functions host schedules each and runs it on one instance at a time.</summary>
public sealed class LifecycleTimerFunctions(TimerJobRunner runner, TimeProvider time)
{
    /// <summary>Runs the retention sweep.</summary>
    [Function(RetentionSweepJob.Name)]
    public Task RetentionSweep([TimerTrigger(RetentionSweepJob.Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunAsync(typeof(RetentionSweepJob), TimerInvocation.FromHost(RetentionSweepJob.Name, timer, time.GetUtcNow()), cancellationToken);

    /// <summary>Runs the orphan sweep.</summary>
    [Function(OrphanSweepJob.Name)]
    public Task OrphanSweep([TimerTrigger(OrphanSweepJob.Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunAsync(typeof(OrphanSweepJob), TimerInvocation.FromHost(OrphanSweepJob.Name, timer, time.GetUtcNow()), cancellationToken);

    /// <summary>Continues the queued lifecycle jobs.</summary>
    [Function(LifecycleJobsJob.Name)]
    public Task LifecycleJobs([TimerTrigger(LifecycleJobsJob.Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunAsync(typeof(LifecycleJobsJob), TimerInvocation.FromHost(LifecycleJobsJob.Name, timer, time.GetUtcNow()), cancellationToken);
}
