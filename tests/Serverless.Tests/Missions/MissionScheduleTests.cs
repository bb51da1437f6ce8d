using Serverless.Functions.Missions;

namespace Serverless.Tests.Missions;

public sealed class MissionScheduleTests
{
    private static readonly DateTimeOffset Created = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static MissionSchedule Create(string? cron, long? interval = null, string zone = "UTC", DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        Assert.True(MissionSchedule.TryCreate(cron, interval, zone, start, end, Created, out var schedule, out var error), error?.Message);
        return schedule!;
    }

    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Fact]
    public void FiveFields_NextOccurrence()
    {
        var s = Create("*/15 * * * *");
        Assert.Equal(Utc(2025, 3, 1, 10, 15), s.NextAfter(Utc(2025, 3, 1, 10, 0)));
        Assert.Equal(Utc(2025, 3, 1, 10, 15), s.NextAfter(Utc(2025, 3, 1, 10, 7, 30)));
    }

    [Fact]
    public void SixFields_IncludeSeconds()
    {
        var s = Create("30 0 12 * * *");
        Assert.Equal(Utc(2025, 3, 1, 12, 0, 30), s.NextAfter(Utc(2025, 3, 1, 11, 0)));
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("61 * * * *")]
    [InlineData("not a cron")]
    public void InvalidCron_IsRejected(string cron)
    {
        Assert.False(MissionSchedule.TryCreate(cron, null, "UTC", null, null, Created, out _, out var error));
        Assert.Equal("cron", error!.Value.Field);
    }

    [Fact]
    public void BothOrNeitherScheduleKind_AndUnknownZone_AreRejected()
    {
        Assert.False(MissionSchedule.TryCreate("* * * * *", 60, "UTC", null, null, Created, out _, out _));
        Assert.False(MissionSchedule.TryCreate(null, null, "UTC", null, null, Created, out _, out _));
        Assert.False(MissionSchedule.TryCreate("* * * * *", null, "Mars/Olympus", null, null, Created, out _, out var error));
        Assert.Equal("timeZone", error!.Value.Field);
    }

    [Fact]
    public void Interval_CountsFromStartOrAnchor()
    {
        var s = Create(null, 3600);
        Assert.Equal(Utc(2025, 1, 1, 0, 0), s.NextAfter(Utc(2024, 12, 31, 0, 0)));
        Assert.Equal(Utc(2025, 1, 1, 3, 0), s.NextAfter(Utc(2025, 1, 1, 2, 0)));
        Assert.Equal(Utc(2025, 1, 1, 3, 0), s.NextAfter(Utc(2025, 1, 1, 2, 59, 59)));
        var started = Create(null, 600, start: Utc(2025, 2, 1, 0, 5));
        Assert.Equal(Utc(2025, 2, 1, 0, 15), started.NextAfter(Utc(2025, 2, 1, 0, 5)));
    }

    [Fact]
    public void Interval_IgnoresDst_ItIsAbsoluteTime()
    {
        var s = Create(null, 3600, "Europe/Berlin", start: Utc(2025, 3, 30, 0, 0));
        Assert.Equal(Utc(2025, 3, 30, 1, 0), s.NextAfter(Utc(2025, 3, 30, 0, 0)));
        Assert.Equal(Utc(2025, 3, 30, 2, 0), s.NextAfter(Utc(2025, 3, 30, 1, 0)));
    }

    [Fact]
    public void StartAndEnd_BoundOccurrences()
    {
        var s = Create("0 * * * *", start: Utc(2025, 5, 1, 10, 0), end: Utc(2025, 5, 1, 12, 0));
        Assert.Equal(Utc(2025, 5, 1, 10, 0), s.NextAfter(Utc(2025, 4, 1, 0, 0)));
        Assert.Equal(Utc(2025, 5, 1, 12, 0), s.NextAfter(Utc(2025, 5, 1, 11, 0)));
        Assert.Null(s.NextAfter(Utc(2025, 5, 1, 12, 0)));
    }

    [Fact]
    public void Berlin_DailyInSpringGap_IsSkippedThatDay()
    {
        // 2025-03-30 02:00 CET jumps to 03:00 CEST: 02:30 does not exist that day.
        var s = Create("30 2 * * *", zone: "Europe/Berlin");
        Assert.Equal(Utc(2025, 3, 29, 1, 30), s.NextAfter(Utc(2025, 3, 29, 0, 0)));
        Assert.Equal(Utc(2025, 3, 31, 0, 30), s.NextAfter(Utc(2025, 3, 29, 1, 30)));
    }

    [Fact]
    public void Berlin_EveryFifteenMinutesAcrossGap_HasNoPhantomRuns()
    {
        var s = Create("*/15 * * * *", zone: "Europe/Berlin");
        // 01:45 CET = 00:45 UTC; next local valid time is 03:00 CEST = 01:00 UTC.
        Assert.Equal(Utc(2025, 3, 30, 1, 0), s.NextAfter(Utc(2025, 3, 30, 0, 45)));
    }

    [Fact]
    public void Berlin_DailyInAutumnOverlap_FiresOnceAtFirstInstant()
    {
        // 2025-10-26 03:00 CEST falls back to 02:00 CET: 02:30 happens twice.
        var s = Create("30 2 * * *", zone: "Europe/Berlin");
        var first = s.NextAfter(Utc(2025, 10, 25, 23, 0));
        Assert.Equal(Utc(2025, 10, 26, 0, 30), first); // 02:30 CEST
        Assert.Equal(Utc(2025, 10, 27, 1, 30), s.NextAfter(first!.Value)); // not 01:30 UTC (02:30 CET) the same day
    }

    [Fact]
    public void Berlin_HourlyAcrossOverlap_SkipsTheRepeatedHour()
    {
        var s = Create("0 * * * *", zone: "Europe/Berlin");
        var times = new List<DateTimeOffset>();
        var t = Utc(2025, 10, 25, 23, 30);
        for (var i = 0; i < 4; i++)
        {
            t = s.NextAfter(t)!.Value;
            times.Add(t);
        }

        // Local 02:00 CEST (00:00Z), 03:00 CET (02:00Z): local 02:00 CET (01:00Z) is the repeat and is not fired.
        Assert.Equal([Utc(2025, 10, 26, 0, 0), Utc(2025, 10, 26, 2, 0), Utc(2025, 10, 26, 3, 0), Utc(2025, 10, 26, 4, 0)], times);
    }

    [Fact]
    public void NewYork_SpringGapAndAutumnOverlap()
    {
        var s = Create("30 2 * * *", zone: "America/New_York");
        // 2025-03-09: 02:00 EST jumps to 03:00 EDT.
        Assert.Equal(Utc(2025, 3, 10, 6, 30), s.NextAfter(Utc(2025, 3, 8, 7, 31)));
        // 2025-11-02: 02:00 EDT falls back to 01:00 EST; 02:30 exists once (EST).
        Assert.Equal(Utc(2025, 11, 2, 7, 30), s.NextAfter(Utc(2025, 11, 1, 7, 30)));
        var one = Create("30 1 * * *", zone: "America/New_York");
        var first = one.NextAfter(Utc(2025, 11, 2, 0, 0));
        Assert.Equal(Utc(2025, 11, 2, 5, 30), first); // 01:30 EDT
        Assert.Equal(Utc(2025, 11, 3, 6, 30), one.NextAfter(first!.Value));
    }

    [Fact]
    public void ShortestGap_FindsSubMinuteSchedules()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), Create("*/10 * * * * *").ShortestGap(Created, 50));
        Assert.Equal(TimeSpan.FromMinutes(5), Create(null, 300).ShortestGap(Created, 50));
    }

    // Missed runs: an hourly mission last due at 10:00, the system down until 13:20.
    private static readonly MissionSchedule Hourly = Create("0 * * * *");

    [Fact]
    public void Skip_AfterDowntime_FiresNothingAndMovesOn()
    {
        var plan = MissedRunPlanner.Plan(Hourly, Utc(2025, 6, 1, 10, 0), Utc(2025, 6, 1, 13, 20), MissedRunPolicy.Skip, 0, TimeSpan.FromMinutes(2));
        Assert.Null(plan.FireFor);
        Assert.Equal(Utc(2025, 6, 1, 14, 0), plan.NextRunAt);
    }

    [Fact]
    public void Skip_OnTime_FiresTheOccurrence()
    {
        var plan = MissedRunPlanner.Plan(Hourly, Utc(2025, 6, 1, 13, 0), Utc(2025, 6, 1, 13, 0, 40), MissedRunPolicy.Skip, 0, TimeSpan.FromMinutes(2));
        Assert.Equal(Utc(2025, 6, 1, 13, 0), plan.FireFor);
        Assert.Equal(Utc(2025, 6, 1, 14, 0), plan.NextRunAt);
    }

    [Fact]
    public void RunOnce_AfterDowntime_FiresTheLatestOnce()
    {
        var plan = MissedRunPlanner.Plan(Hourly, Utc(2025, 6, 1, 10, 0), Utc(2025, 6, 1, 13, 20), MissedRunPolicy.RunOnce, 0, TimeSpan.FromMinutes(2));
        Assert.Equal(Utc(2025, 6, 1, 13, 0), plan.FireFor);
        Assert.Equal(Utc(2025, 6, 1, 14, 0), plan.NextRunAt);
    }

    [Fact]
    public void CatchUp_AfterDowntime_FiresAtMostNOldestFirst()
    {
        var now = Utc(2025, 6, 1, 13, 20);
        var fired = new List<DateTimeOffset>();
        DateTimeOffset? next = Utc(2025, 6, 1, 10, 0);
        while (next is { } n && n <= now)
        {
            var plan = MissedRunPlanner.Plan(Hourly, n, now, MissedRunPolicy.CatchUp, 2, TimeSpan.FromMinutes(2));
            fired.Add(plan.FireFor!.Value);
            next = plan.NextRunAt;
        }

        Assert.Equal([Utc(2025, 6, 1, 12, 0), Utc(2025, 6, 1, 13, 0)], fired);
        Assert.Equal(Utc(2025, 6, 1, 14, 0), next);
    }

    [Fact]
    public void NotYetDue_FiresNothing()
    {
        var plan = MissedRunPlanner.Plan(Hourly, Utc(2025, 6, 1, 14, 0), Utc(2025, 6, 1, 13, 20), MissedRunPolicy.CatchUp, 3, TimeSpan.FromMinutes(2));
        Assert.Null(plan.FireFor);
        Assert.Equal(Utc(2025, 6, 1, 14, 0), plan.NextRunAt);
    }
}
