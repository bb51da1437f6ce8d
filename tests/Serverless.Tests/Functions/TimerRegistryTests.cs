using Microsoft.Extensions.Configuration;
using Serverless.Functions.Missions;
using Serverless.Functions.Timers;

namespace Serverless.Tests.Functions;

/// <summary>The local scheduler's view of the timers: schedules resolved from app settings, mistakes stop startup with a message.</summary>
public sealed class TimerRegistryTests
{
    private static TimerRegistry Registry(string schedule, Dictionary<string, string?> settings) => new(
        [new TimerJobRegistration("Tick", schedule, typeof(MissionsTickJob))],
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
        TimeProvider.System);

    [Fact]
    public void SettingReference_ResolvesFromConfiguration_AsTheHostDoes()
    {
        var job = Assert.Single(Registry(MissionsTickJob.Schedule, new() { ["Missions:TickSchedule"] = "*/5 * * * * *" }).Jobs);

        Assert.Equal(MissionsTickJob.Schedule, job.ScheduleExpression);
        Assert.Equal("*/5 * * * * *", job.ResolvedScheduleExpression);
        var next = job.NextOccurrenceAfter(new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 5, TimeSpan.Zero), next);
    }

    [Theory]
    [InlineData("%Missions:TickSchedule%", "is not set")]
    [InlineData("0 * * *", "needs 6 fields")]
    [InlineData("0 0 0 30 2 *", "never fires")]
    public void Mistakes_StopStartup_SayingWhatToFix(string schedule, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Registry(schedule, []));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
