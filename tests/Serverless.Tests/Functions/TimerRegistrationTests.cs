using Serverless.Functions.FunctionMetadata;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

public sealed class TimerRegistrationTests
{
    private static readonly DateTimeOffset Noon = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Startup_PercentSettings_ResolveWholeOrPartFromConfiguration()
    {
        var probe = new TimerJobProbe();
        var settings = new Dictionary<string, string?> { ["TickSchedule"] = "0 */5 * * * *", ["TickMinutes"] = "*/10" };
        await using var app = new TimerTestApp(await Azurite.Shared, TimerTestStorage.New(), standalone: false, services =>
        {
            TimerTestJobs.Recording(probe, "a", "Whole", "%TickSchedule%")(services);
            services.AddTimerJob<RecordingTimerJob>("Part", "0 %TickMinutes% * * * *");
        }, settings).Start();

        var registry = app.Services.GetRequiredService<TimerRegistry>();

        var whole = registry.Find("Whole")!;
        var part = registry.Find("part")!;
        // The app registers MissionsTick itself, before the test's jobs.
        Assert.Equal(["MissionsTick", "Whole", "Part"], registry.Jobs.Select(j => j.Name));
        Assert.Equal("%TickSchedule%", whole.ScheduleExpression);
        Assert.Equal("0 */5 * * * *", whole.ResolvedScheduleExpression);
        Assert.Equal("0 %TickMinutes% * * * *", part.ScheduleExpression);
        Assert.Equal("0 */10 * * * *", part.ResolvedScheduleExpression);
        Assert.Equal("timer", whole.BindingName);
        Assert.Equal(Noon.AddMinutes(5), whole.NextOccurrenceAfter(Noon));
        Assert.Equal(Noon.AddMinutes(10), part.NextOccurrenceAfter(Noon));
    }

    [Fact]
    public async Task Startup_MissingSetting_FailsNamingTheSetting()
    {
        var app = new TimerTestApp(await Azurite.Shared, TimerTestStorage.New(), standalone: false, TimerTestJobs.Recording(new TimerJobProbe(), "a", "Ticker", "%NoSuchSchedule%"));

        var message = StartupFailure(app);

        Assert.Contains("Timer job 'Ticker'", message, StringComparison.Ordinal);
        Assert.Contains("app setting 'NoSuchSchedule', which is not set", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_InvalidExpression_FailsShowingTheExpression()
    {
        var app = new TimerTestApp(await Azurite.Shared, TimerTestStorage.New(), standalone: false, TimerTestJobs.Recording(new TimerJobProbe(), "a", "Ticker", "%BadSchedule%"),
            new Dictionary<string, string?> { ["BadSchedule"] = "61 * * * * *" });

        var message = StartupFailure(app);

        Assert.Contains("Timer job 'Ticker'", message, StringComparison.Ordinal);
        Assert.Contains("'61 * * * * *' (from '%BadSchedule%') is not a valid NCRONTAB expression", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("* * * *", "needs 6 fields")]
    [InlineData("* * * * * * *", "needs 6 fields")]
    [InlineData("00:05:00", "TimeSpan schedules are not supported")]
    [InlineData("0 61 * * * *", "not a valid NCRONTAB expression")]
    [InlineData("0 0 0 30 2 *", "never fires")]
    [InlineData("%Empty%", "'Empty', which is not set")]
    public void Registry_UnusableSchedule_ThrowsSayingWhy(string schedule, string reason)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Registry(s => s.AddTimerJob<FailingTimerJob>("Job1", schedule), new() { ["Empty"] = " " }));

        Assert.Contains("Timer job 'Job1'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_SeveralProblems_ReportsEachOne()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Registry(s => s
            .AddTimerJob<FailingTimerJob>("One", "%Missing%")
            .AddTimerJob<FailingTimerJob>("Two", "bad")
            .AddTimerJob<FailingTimerJob>("Three", "0 * * * * *")
            .AddTimerJob<FailingTimerJob>("THREE", "0 * * * * *")));

        Assert.Contains("'One'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Two'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'THREE' is registered twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_FiveFields_FireOnWholeMinutes()
    {
        var job = Assert.Single(Registry(s => s.AddTimerJob<FailingTimerJob>("Five", "*/15 * * * *")).Jobs);

        Assert.Equal(Noon.AddMinutes(15), job.NextOccurrenceAfter(Noon.AddSeconds(1)));
    }

    [Fact]
    public void Registry_DoubleUnderscoreSetting_ResolvesLikeAnEnvironmentVariable()
    {
        var job = Assert.Single(Registry(s => s.AddTimerJob<FailingTimerJob>("Env", "%Timers__Tick%"), new() { ["Timers:Tick"] = "30 * * * * *" }).Jobs);

        Assert.Equal("%Timers__Tick%", job.ScheduleExpression);
        Assert.Equal("30 * * * * *", job.ResolvedScheduleExpression);
    }

    [Fact]
    public void Registry_NoJobs_IsEmpty()
    {
        Assert.Empty(Registry(s => s.AddTimerJobs()).Jobs);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1tick")]
    [InlineData("_tick")]
    [InlineData("has space")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("tick\n")]
    public void AddTimerJob_InvalidName_Throws(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTimerJob<FailingTimerJob>(name, "0 * * * * *"));

        Assert.Contains("not a valid function name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTimerJob_NameLimit_IsTheFunctionNameLimit()
    {
        new ServiceCollection().AddTimerJob<FailingTimerJob>("a" + new string('-', FunctionNames.MaxLength - 1), "0 * * * * *");

        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddTimerJob<FailingTimerJob>("a" + new string('_', FunctionNames.MaxLength), "0 * * * * *"));
    }

    private static TimerRegistry Registry(Action<IServiceCollection> register, Dictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        register(services);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<TimerRegistry>();
    }

    /// <summary>Starts the app, expecting it to fail, and returns every message in the exception chain.</summary>
    private static string StartupFailure(TimerTestApp app)
    {
        try
        {
            var error = Assert.ThrowsAny<Exception>(() => app.Start());
            var messages = new List<string>();
            for (Exception? e = error; e is not null; e = e.InnerException)
            {
                messages.Add(e.Message);
            }

            if (error is AggregateException aggregate)
            {
                messages.AddRange(aggregate.Flatten().InnerExceptions.Select(e => e.Message));
            }

            return string.Join(Environment.NewLine, messages);
        }
        finally
        {
            app.Dispose();
        }
    }
}
