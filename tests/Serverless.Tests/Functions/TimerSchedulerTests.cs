using Serverless.Functions.Timers;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;
using Xunit.Abstractions;

namespace Serverless.Tests.Functions;

/// <summary>
/// The standalone scheduler against the real Azurite, with every-second schedules and two app instances
/// sharing one timers table and lock container. In one class so that these timing tests run one at a time.
/// </summary>
public sealed class TimerSchedulerTests(ITestOutputHelper output)
{
    private const string EverySecond = "* * * * * *";

    [Fact]
    public async Task TwoInstances_EverySecond_FireExactlyOncePerTick()
    {
        var probe = new TimerJobProbe();

        var (invocations, bothUp, stopping) = await RunTwoInstancesAsync(probe, "Tick", TimeSpan.FromSeconds(7));

        var times = invocations.Select(i => i.Invocation.ScheduledTime).Order().ToList();
        var summary = string.Join(", ", invocations.OrderBy(i => i.Invocation.ScheduledTime).Select(i => $"{i.Invocation.ScheduledTime:HH:mm:ss.fff}@{i.Instance}"));
        output.WriteLine(summary);
        var duplicates = times.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"Ticks fired more than once: {string.Join(", ", duplicates)}. All: {summary}");
        Assert.All(times, t => Assert.Equal(0, t.Ticks % TimeSpan.TicksPerSecond));
        Assert.True(times.Count >= 3, $"Too few ticks fired: {summary}");

        // Coverage is loose, and counted only while both instances were up: on a loaded machine both can
        // stall past a tick together (a late scheduler fires once, for the latest tick, like the host).
        var expected = Enumerable.Range(1, (int)(stopping - bothUp).TotalSeconds - 1).Select(s => TruncateToSecond(bothUp).AddSeconds(s)).ToList();
        var covered = expected.Count(times.Contains);
        Assert.True(covered >= expected.Count * 0.6, $"{covered} of {expected.Count} ticks fired while both instances ran: {summary}");
        Assert.Equal(invocations.Count, invocations.Select(i => i.Invocation.InvocationId).Distinct().Count());

        // The job's first tick has no history; every later one names an earlier tick as the last run.
        var ordered = invocations.Select(i => i.Invocation).OrderBy(i => i.ScheduledTime).ToList();
        Assert.Null(ordered[0].ScheduleStatus!.Last);
        Assert.All(ordered.Skip(1), i => Assert.True(i.ScheduleStatus!.Last < i.ScheduledTime));
        Assert.All(ordered, i => Assert.Equal(i.ScheduledTime.AddSeconds(1), i.ScheduleStatus!.Next));
        Assert.All(ordered, i => Assert.Equal(TimerInvocationSource.Standalone, i.Source));
    }

    [Fact]
    public async Task TwoInstances_JobLongerThanTheInterval_NeverRunsConcurrently()
    {
        var probe = new TimerJobProbe { RunTime = TimeSpan.FromSeconds(2.5) };

        var (invocations, _, _) = await RunTwoInstancesAsync(probe, "Slow", TimeSpan.FromSeconds(7));

        output.WriteLine(string.Join(", ", invocations.Select(i => $"{i.Invocation.ScheduledTime:HH:mm:ss}@{i.Instance}")));
        Assert.Equal(1, probe.MaxConcurrent);
        Assert.True(invocations.Count >= 2, $"Only {invocations.Count} runs in 7 s");
        Assert.Equal(invocations.Count, invocations.Select(i => i.Invocation.ScheduledTime).Distinct().Count());
    }

    [Fact]
    public async Task LastRunLongAgo_FirstRunIsPastDueAndNamesThatRun()
    {
        var azurite = await Azurite.Shared;
        var storage = TimerTestStorage.New();
        var longAgo = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var table = azurite.Table(storage.TimerTable);
        await table.CreateIfNotExistsAsync();
        await table.InsertAsync(new TableEntity(TimerTickStore.PartitionKey, "Downtime") { [TimerTickStore.LastScheduled] = longAgo });
        var probe = new TimerJobProbe();

        await using var app = new TimerTestApp(azurite, storage, standalone: true, TimerTestJobs.Recording(probe, "a", "Downtime", EverySecond)).Start();
        var first = await probe.First.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(first.IsPastDue);
        Assert.Equal(longAgo, first.ScheduleStatus!.Last);
        Assert.Equal(first.ScheduledTime.AddSeconds(1), first.ScheduleStatus.Next);
        var row = await table.FindAsync(TimerTickStore.PartitionKey, "Downtime");
        Assert.True(row!.GetDateTimeOffset(TimerTickStore.LastScheduled) >= first.ScheduledTime);
    }

    [Theory]
    [InlineData("Timers:Standalone", "false")]
    [InlineData("FUNCTIONS_CUSTOMHANDLER_PORT", "7071")]
    public async Task SchedulerSwitchedOff_NothingFires(string setting, string value)
    {
        var probe = new TimerJobProbe();

        await using (new TimerTestApp(await Azurite.Shared, TimerTestStorage.New(), standalone: true, TimerTestJobs.Recording(probe, "a", "Off", EverySecond),
            new Dictionary<string, string?> { [setting] = value }).Start())
        {
            await Task.Delay(TimeSpan.FromSeconds(2.5));
        }

        Assert.Empty(probe.Invocations);
    }

    /// <summary>
    /// Runs two instances of the app with one job for <paramref name="duration"/> from when both are up,
    /// and returns what the job saw, when both were up and when they began to stop.
    /// </summary>
    private static async Task<(IReadOnlyList<(string Instance, TimerInvocation Invocation)> Invocations, DateTimeOffset BothUp, DateTimeOffset Stopping)> RunTwoInstancesAsync(
        TimerJobProbe probe, string job, TimeSpan duration)
    {
        var azurite = await Azurite.Shared;
        var storage = TimerTestStorage.New();
        var first = new TimerTestApp(azurite, storage, standalone: true, TimerTestJobs.Recording(probe, "first", job, EverySecond));
        var second = new TimerTestApp(azurite, storage, standalone: true, TimerTestJobs.Recording(probe, "second", job, EverySecond));
        DateTimeOffset bothUp, stopping;
        try
        {
            // One after the other (WebApplicationFactory finds the app's host through process-wide hooks), and
            // on a thread of its own: starting blocks, which would starve the pool the schedulers run on.
            await Task.Factory.StartNew(() => first.Start().Services, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await Task.Factory.StartNew(() => second.Start().Services, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            bothUp = DateTimeOffset.UtcNow;
            await Task.Delay(duration);
            stopping = DateTimeOffset.UtcNow;
        }
        finally
        {
            await Task.WhenAll(first.DisposeAsync().AsTask(), second.DisposeAsync().AsTask());
        }

        // Taken after both stopped, so that a tick fired during shutdown is checked for uniqueness too.
        return (probe.Invocations, bothUp, stopping);
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerSecond));
}
