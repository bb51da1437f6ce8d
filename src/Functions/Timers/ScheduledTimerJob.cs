using NCrontab;

namespace Serverless.Functions.Timers;

/// <summary>
/// A registered timer job with its schedule resolved, as the local scheduler runs it. All times are UTC.
/// </summary>
public sealed class ScheduledTimerJob
{
    internal ScheduledTimerJob(string name, string scheduleExpression, string resolvedScheduleExpression, CrontabSchedule schedule, Type jobType)
    {
        Name = name;
        ScheduleExpression = scheduleExpression;
        ResolvedScheduleExpression = resolvedScheduleExpression;
        Schedule = schedule;
        JobType = jobType;
    }

    /// <summary>The timer function's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The schedule as written, <c>%Setting%</c> references kept: what the <c>[TimerTrigger]</c> attribute
    /// holds and the host resolves from its app settings.
    /// </summary>
    public string ScheduleExpression { get; }

    /// <summary>The schedule with every <c>%Setting%</c> replaced from configuration, as parsed.</summary>
    public string ResolvedScheduleExpression { get; }

    /// <summary>The parsed NCRONTAB schedule (UTC).</summary>
    public CrontabSchedule Schedule { get; }

    /// <summary>The <see cref="ITimerJob"/> implementation that runs.</summary>
    public Type JobType { get; }

    /// <summary>The first occurrence strictly after <paramref name="time"/>; <see cref="DateTimeOffset.MaxValue"/> if there is none.</summary>
    public DateTimeOffset NextOccurrenceAfter(DateTimeOffset time)
    {
        var next = Schedule.GetNextOccurrence(time.UtcDateTime);
        return next == DateTime.MaxValue ? DateTimeOffset.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
    }
}
