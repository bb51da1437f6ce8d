using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Timers;

/// <summary>One firing of a timer job, as its job sees it, whoever fired it. All times are UTC.</summary>
/// <param name="FunctionName">The timer function's name.</param>
/// <param name="FiredAt">When the run started.</param>
/// <param name="IsPastDue">
/// Whether the run is late: the host says so when it fires an occurrence it missed (downtime, a long
/// previous run); the local scheduler when an occurrence passed while the previous run was still going.
/// </param>
/// <param name="NextOccurrence">The next scheduled occurrence, when known.</param>
public sealed record TimerInvocation(string FunctionName, DateTimeOffset FiredAt, bool IsPastDue, DateTimeOffset? NextOccurrence)
{
    /// <summary>A firing by the Functions host, from the worker's <see cref="TimerInfo"/>.</summary>
    public static TimerInvocation FromHost(string functionName, TimerInfo timer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(timer);
        DateTimeOffset? next = timer.ScheduleStatus is { Next: var n } && n != default ? new DateTimeOffset(DateTime.SpecifyKind(n, DateTimeKind.Utc)) : null;
        return new TimerInvocation(functionName, now, timer.IsPastDue, next);
    }
}
