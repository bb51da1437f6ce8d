using NCrontab;

namespace Serverless.Functions.Missions;

/// <summary>
/// A mission's schedule: NCRONTAB evaluated on the wall clock of an IANA time zone, or a fixed interval
/// in absolute time, bounded by an optional start and end. DST: a local time that does not exist (spring
/// gap) is skipped and the next valid occurrence taken; a local time that exists twice (autumn overlap)
/// fires once, at its first instant.
/// </summary>
public sealed class MissionSchedule
{
    /// <summary>Guards against schedules that match almost never in local time (e.g. only inside DST gaps).</summary>
    private const int MaxCandidates = 10_000;

    private readonly CrontabSchedule? cron;
    private readonly TimeSpan interval;
    private readonly TimeZoneInfo zone;
    private readonly DateTimeOffset anchor;
    private readonly DateTimeOffset? start;
    private readonly DateTimeOffset? end;

    private MissionSchedule(CrontabSchedule? cron, TimeSpan interval, TimeZoneInfo zone, DateTimeOffset anchor, DateTimeOffset? start, DateTimeOffset? end)
    {
        this.cron = cron;
        this.interval = interval;
        this.zone = zone;
        this.anchor = anchor;
        this.start = start;
        this.end = end;
    }

    /// <summary>Builds a schedule; <paramref name="error"/> says what is wrong when it fails.</summary>
    /// <param name="cronExpression">NCRONTAB with 5 or 6 fields, or null for an interval schedule.</param>
    /// <param name="intervalSeconds">The interval, when <paramref name="cronExpression"/> is null.</param>
    /// <param name="timeZoneId">An IANA id (or UTC).</param>
    /// <param name="startAt">No occurrence before this.</param>
    /// <param name="endAt">No occurrence after this.</param>
    /// <param name="anchor">Interval schedules count from <paramref name="startAt"/>, or from this when there is none.</param>
    /// <param name="schedule">The schedule.</param>
    /// <param name="error">The field and message of the failure.</param>
    public static bool TryCreate(string? cronExpression, long? intervalSeconds, string timeZoneId, DateTimeOffset? startAt, DateTimeOffset? endAt, DateTimeOffset anchor,
        out MissionSchedule? schedule, out (string Field, string Message)? error)
    {
        schedule = null;
        error = null;
        if (!TryFindZone(timeZoneId, out var zone))
        {
            error = ("timeZone", "timeZone must be an IANA time zone id such as Europe/Berlin or UTC.");
            return false;
        }

        if ((cronExpression is null) == (intervalSeconds is null))
        {
            error = ("schedule", "Give exactly one of cron and intervalSeconds.");
            return false;
        }

        CrontabSchedule? parsed = null;
        if (cronExpression is not null)
        {
            var fields = cronExpression.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length is not (5 or 6) || cronExpression.Length > 200)
            {
                error = ("cron", "cron must be NCRONTAB with 5 fields (minute hour day month day-of-week) or 6 (with seconds first).");
                return false;
            }

            parsed = CrontabSchedule.TryParse(string.Join(' ', fields), new CrontabSchedule.ParseOptions { IncludingSeconds = fields.Length == 6 });
            if (parsed is null)
            {
                error = ("cron", "cron is not a valid NCRONTAB expression.");
                return false;
            }
        }
        else if (intervalSeconds is < 1 or > 366L * 24 * 3600)
        {
            error = ("intervalSeconds", "intervalSeconds must be from 1 to 31,622,400 (366 days).");
            return false;
        }

        if (OutOfRange(startAt) || OutOfRange(endAt))
        {
            // Far-off bounds would overflow the date arithmetic of the search; nobody schedules past 2200.
            error = (OutOfRange(startAt) ? "startAt" : "endAt", "startAt and endAt must be between 2000-01-01 and 2200-01-01.");
            return false;
        }

        if (startAt is { } s && endAt is { } e && e <= s)
        {
            error = ("endAt", "endAt must be after startAt.");
            return false;
        }

        schedule = new MissionSchedule(parsed, TimeSpan.FromSeconds(intervalSeconds ?? 0), zone!, (startAt ?? anchor).ToUniversalTime(), startAt?.ToUniversalTime(), endAt?.ToUniversalTime());
        return true;
    }

    private static bool OutOfRange(DateTimeOffset? at) =>
        at is { } t && (t < new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero) || t > new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Finds an IANA zone (the runtime maps ids through ICU or the tz database).</summary>
    public static bool TryFindZone(string? id, out TimeZoneInfo? zone)
    {
        zone = null;
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64)
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/> (UTC), or null when the schedule has ended.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        after = after.ToUniversalTime();
        if (start is { } s && after < s)
        {
            // Occurrences at exactly start count, so search from just before it.
            after = s.AddTicks(-1);
        }

        var next = cron is null ? NextInterval(after) : NextCron(after);
        return next is { } n && end is { } e && n > e ? null : next;
    }

    /// <summary>The shortest gap among the next <paramref name="count"/> occurrences after <paramref name="from"/>, or null with fewer than two.</summary>
    public TimeSpan? ShortestGap(DateTimeOffset from, int count)
    {
        if (cron is null)
        {
            return interval;
        }

        TimeSpan? shortest = null;
        var previous = NextAfter(from);
        for (var i = 1; i < count && previous is { } p; i++)
        {
            var next = NextAfter(p);
            if (next is { } n && (shortest is null || n - p < shortest))
            {
                shortest = n - p;
            }

            previous = next;
        }

        return shortest;
    }

    private DateTimeOffset NextInterval(DateTimeOffset after)
    {
        if (after < anchor)
        {
            return anchor;
        }

        var steps = ((after - anchor).Ticks / interval.Ticks) + 1;
        return anchor + TimeSpan.FromTicks(steps * interval.Ticks);
    }

    private DateTimeOffset? NextCron(DateTimeOffset after)
    {
        var local = DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(after, zone).DateTime, DateTimeKind.Unspecified);
        var horizon = local.AddYears(5);
        for (var i = 0; i < MaxCandidates; i++)
        {
            var candidate = cron!.GetNextOccurrence(local, horizon);
            if (candidate >= horizon)
            {
                return null;
            }

            local = candidate;
            if (zone.IsInvalidTime(candidate))
            {
                continue;
            }

            // In an overlap, the first instant is the one with the larger offset; mapping every repeated
            // local time there (and requiring "after") makes the second pass fire nothing.
            var offset = zone.IsAmbiguousTime(candidate) ? zone.GetAmbiguousTimeOffsets(candidate).Max() : zone.GetUtcOffset(candidate);
            var utc = new DateTimeOffset(candidate, offset).ToUniversalTime();
            if (utc > after)
            {
                return utc;
            }
        }

        return null;
    }
}
