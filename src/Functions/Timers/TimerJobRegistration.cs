namespace Serverless.Functions.Timers;

/// <summary>What <see cref="TimerSetup.AddTimerJob{TJob}"/> records; <see cref="TimerRegistry"/> resolves it when the local scheduler starts.</summary>
/// <param name="Name">The timer function's name.</param>
/// <param name="ScheduleExpression">The schedule as the <c>[TimerTrigger]</c> attribute has it, <c>%Setting%</c> references included.</param>
/// <param name="JobType">The <see cref="ITimerJob"/> implementation, registered as a scoped service.</param>
public sealed record TimerJobRegistration(string Name, string ScheduleExpression, Type JobType);
