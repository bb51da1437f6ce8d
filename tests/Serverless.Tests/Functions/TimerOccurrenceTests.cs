using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Timers;

namespace Serverless.Tests.Functions;

public sealed class TimerOccurrenceTests
{
    private static readonly DateTimeOffset At = new(2025, 7, 15, 10, 7, 12, 345, TimeSpan.Zero);

    [Theory]
    [InlineData("* * * * * *", "2025-07-15T10:07:12Z")]
    [InlineData("*/5 * * * * *", "2025-07-15T10:07:10Z")]
    [InlineData("0 */5 * * * *", "2025-07-15T10:05:00Z")]
    [InlineData("*/5 * * * *", "2025-07-15T10:05:00Z")]
    [InlineData("0 0 0 * * *", "2025-07-15T00:00:00Z")]
    [InlineData("0 0 0 1 1 *", "2025-01-01T00:00:00Z")]
    [InlineData("* * * * 1 *", "2025-01-31T23:59:59Z")]
    [InlineData("0 0 0 29 2 *", "2024-02-29T00:00:00Z")]
    public void LatestOccurrenceAtOrBefore_FindsTheLastTickWhateverItsDistance(string schedule, string expected)
    {
        var job = Job(schedule);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), job.LatestOccurrenceAtOrBefore(At));
    }

    [Fact]
    public void LatestOccurrenceAtOrBefore_ExactlyOnATick_IsThatTick()
    {
        var tick = new DateTimeOffset(2025, 7, 15, 10, 5, 0, TimeSpan.Zero);

        Assert.Equal(tick, Job("0 */5 * * * *").LatestOccurrenceAtOrBefore(tick));
        Assert.Equal(tick.AddMinutes(5), Job("0 */5 * * * *").NextOccurrenceAfter(tick));
    }

    private static ScheduledTimerJob Job(string schedule)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddTimerJob<FailingTimerJob>("Job", schedule);
        using var provider = services.BuildServiceProvider();
        return Assert.Single(provider.GetRequiredService<TimerRegistry>().Jobs);
    }
}
