using NCrontab;

namespace Serverless.Functions.Timers;

/// <summary>
/// A registered timer job with its schedule resolved: everything a <c>function.json</c> needs, and the
/// occurrence arithmetic the scheduler and the host endpoint share. All times are UTC.
/// </summary>
public sealed class ScheduledTimerJob
{
    /// <summary>How far back <see cref="LatestOccurrenceAtOrBefore"/> looks: 2^30 seconds, about 34 years.</summary>
    private const long MaxLookBackSeconds = 1L << 30;

    internal ScheduledTimerJob(string name, string scheduleExpression, string resolvedScheduleExpression, CrontabSchedule schedule, Type jobType)
    {
        Name = name;
        ScheduleExpression = scheduleExpression;
        ResolvedScheduleExpression = resolvedScheduleExpression;
        Schedule = schedule;
        JobType = jobType;
    }

    /// <summary>The function name: the <c>function.json</c> folder and the host's <c>POST /{Name}</c> path.</summary>
    public string Name { get; }

    /// <summary>
    /// The schedule as written, <c>%Setting%</c> references kept: this is what goes into <c>function.json</c>,
    /// where the host resolves them from its own app settings.
    /// </summary>
    public string ScheduleExpression { get; }

    /// <summary>The schedule with every <c>%Setting%</c> replaced from configuration, as parsed.</summary>
    public string ResolvedScheduleExpression { get; }

    /// <summary>The parsed NCRONTAB schedule (UTC).</summary>
    public CrontabSchedule Schedule { get; }

    /// <summary>The name of the timer binding in <c>function.json</c> and of the key under the payload's <c>Data</c>: <c>timer</c>.</summary>
    public string BindingName => TimerRegistry.BindingName;

    /// <summary>The <see cref="ITimerJob"/> implementation that runs.</summary>
    public Type JobType { get; }

    /// <summary>The first occurrence strictly after <paramref name="time"/>; <see cref="DateTimeOffset.MaxValue"/> if there is none.</summary>
    public DateTimeOffset NextOccurrenceAfter(DateTimeOffset time)
    {
        var next = Schedule.GetNextOccurrence(time.UtcDateTime);
        return next == DateTime.MaxValue ? DateTimeOffset.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc));
    }

    /// <summary>The last occurrence at or before <paramref name="time"/>, or <c>null</c> when there is none in the previous ~34 years.</summary>
    public DateTimeOffset? LatestOccurrenceAtOrBefore(DateTimeOffset time)
    {
        // NCRONTAB has no "previous occurrence". Occurrences fall on whole seconds, so search whole
        // seconds: double a look-back window until it holds an occurrence, then binary-search for the
        // latest start that still holds one. That is O(log) calls however dense or sparse the schedule.
        var end = time.UtcDateTime;
        var endSecond = end.AddTicks(-(end.Ticks % TimeSpan.TicksPerSecond));
        long window = 0;
        while (!OccursBetween(endSecond.AddSeconds(-window), end))
        {
            window = window == 0 ? 1 : window * 2;
            if (window > MaxLookBackSeconds || endSecond.Ticks - DateTime.MinValue.Ticks < window * TimeSpan.TicksPerSecond)
            {
                return null;
            }
        }

        if (window == 0)
        {
            return new DateTimeOffset(endSecond, TimeSpan.Zero);
        }

        // Invariant: an occurrence lies in [endSecond - found s, end], none in [endSecond - empty s, end].
        long found = window, empty = window / 2;
        while (found - empty > 1)
        {
            var middle = empty + ((found - empty) / 2);
            if (OccursBetween(endSecond.AddSeconds(-middle), end))
            {
                found = middle;
            }
            else
            {
                empty = middle;
            }
        }

        return new DateTimeOffset(endSecond.AddSeconds(-found), TimeSpan.Zero);
    }

    /// <summary>Whether an occurrence lies in [<paramref name="start"/>, <paramref name="end"/>], <paramref name="start"/> a whole second.</summary>
    private bool OccursBetween(DateTime start, DateTime end)
    {
        // GetNextOccurrence is strictly after its base (at whole seconds), so one tick before start
        // includes start. It returns its end bound when nothing comes sooner, and an occurrence equal to
        // the bound is indistinguishable from none: pad the bound by a second and compare ourselves.
        var next = Schedule.GetNextOccurrence(start.AddTicks(-1), end.AddSeconds(1));
        return next <= end;
    }
}
