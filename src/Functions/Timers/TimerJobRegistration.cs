namespace Serverless.Functions.Timers;

/// <summary>What <see cref="TimerSetup.AddTimerJob{TJob}"/> records; <see cref="TimerRegistry"/> resolves it at startup.</summary>
/// <param name="Name">The function name, already checked by <see cref="TimerFunctionName"/>.</param>
/// <param name="ScheduleExpression">The schedule as written, <c>%Setting%</c> references included.</param>
/// <param name="JobType">The <see cref="ITimerJob"/> implementation, registered as a scoped service.</param>
internal sealed record TimerJobRegistration(string Name, string ScheduleExpression, Type JobType);
