namespace Serverless.Functions.Missions;

/// <summary>What to do about missed runs after downtime.</summary>
public enum MissedRunPolicy
{
    /// <summary>Drop occurrences older than the grace period; fire only one that is on time.</summary>
    Skip,

    /// <summary>Fire once for the latest missed occurrence, then continue normally.</summary>
    RunOnce,

    /// <summary>Fire the latest N missed occurrences, oldest first.</summary>
    CatchUp,
}

/// <summary>The decision for one due mission.</summary>
/// <param name="FireFor">The occurrence to fire now, or null to fire nothing.</param>
/// <param name="NextRunAt">The next occurrence not yet taken (may be in the past while catching up), or null when the schedule has ended.</param>
public sealed record FiringPlan(DateTimeOffset? FireFor, DateTimeOffset? NextRunAt);

/// <summary>Applies a missed-run policy. Pure, so tests drive it with any clock.</summary>
public static class MissedRunPlanner
{
    /// <summary>Enumerating past occurrences stops here (e.g. a per-minute mission down for years); older ones are dropped.</summary>
    private const int MaxEnumerated = 100_000;

    /// <summary>Plans the firing for a mission whose next occurrence is <paramref name="nextRunAt"/>, at <paramref name="now"/>.</summary>
    public static FiringPlan Plan(MissionSchedule schedule, DateTimeOffset nextRunAt, DateTimeOffset now, MissedRunPolicy policy, int catchUpMax, TimeSpan grace)
    {
        if (nextRunAt > now)
        {
            return new FiringPlan(null, nextRunAt);
        }

        var keep = policy == MissedRunPolicy.CatchUp ? Math.Max(1, catchUpMax) : 1;
        var tail = new Queue<DateTimeOffset>(keep + 1);
        DateTimeOffset? occurrence = nextRunAt;
        for (var i = 0; occurrence is { } o && o <= now; i++)
        {
            tail.Enqueue(o);
            if (tail.Count > keep)
            {
                tail.Dequeue();
            }

            occurrence = i < MaxEnumerated ? schedule.NextAfter(o) : schedule.NextAfter(now);
        }

        var afterNow = occurrence;
        var latest = tail.Last();
        return policy switch
        {
            MissedRunPolicy.Skip => new FiringPlan(latest >= now - grace ? latest : null, afterNow),
            MissedRunPolicy.RunOnce => new FiringPlan(latest, afterNow),
            _ => new FiringPlan(tail.Peek(), tail.Count > 1 ? tail.ElementAt(1) : afterNow),
        };
    }
}
