using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Missions;

/// <summary>
/// <see cref="MissionsTickJob"/> as a timer function: the Functions host schedules it on
/// <c>%Missions:TickSchedule%</c> and runs it on one instance at a time.
/// </summary>
public sealed class MissionsTickFunction(TimerJobRunner runner, TimeProvider time)
{
    /// <summary>Runs the tick.</summary>
    [Function(MissionsTickJob.Name)]
    public Task MissionsTick([TimerTrigger(MissionsTickJob.Schedule)] TimerInfo timer, CancellationToken cancellationToken) =>
        runner.RunAsync(typeof(MissionsTickJob), TimerInvocation.FromHost(MissionsTickJob.Name, timer, time.GetUtcNow()), cancellationToken);
}
