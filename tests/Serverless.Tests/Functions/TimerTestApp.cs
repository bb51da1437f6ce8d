using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>Table and container names for one or more app instances that must share (or not share) timer state.</summary>
internal sealed record TimerTestStorage(string TimerTable, string LockContainer, string UserTable, string PayloadContainer)
{
    public static TimerTestStorage New() => new(Azurite.UniqueName("timers"), Azurite.UniqueName("locks"), Azurite.UniqueName("users"), Azurite.UniqueName("payloads"));
}

/// <summary>
/// The function app in-process against the run's Azurite, with the given storage names, the standalone
/// scheduler on or off, test jobs registered through ConfigureTestServices and any extra settings.
/// </summary>
internal sealed class TimerTestApp(
    Azurite azurite,
    TimerTestStorage storage,
    bool standalone,
    Action<IServiceCollection> configureServices,
    IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    /// <summary>Starts the app (host, hosted services, scheduler) and returns it; throws what startup threw.</summary>
    public TimerTestApp Start()
    {
        _ = Services;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        var all = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:TimerTable"] = storage.TimerTable,
            ["Storage:LockContainer"] = storage.LockContainer,
            ["Storage:UserTable"] = storage.UserTable,
            ["Storage:PayloadContainer"] = storage.PayloadContainer,
            ["Auth:Development:Enabled"] = "true",
            ["Auth:Development:SigningKey"] = "timer-tests-development-signing-key-0123456789",
            ["Api:CursorSigningKey"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
            ["Timers:Standalone"] = standalone ? "true" : "false",
            ["Timers:LockLease"] = "00:00:15",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(configureServices);
    }
}

/// <summary>What test jobs saw, shared by every app instance of a test: invocations, and how many ran at once.</summary>
internal sealed class TimerJobProbe
{
    private readonly ConcurrentQueue<(string Instance, TimerInvocation Invocation)> invocations = new();
    private readonly TaskCompletionSource<TimerInvocation> first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int running;
    private int maxRunning;

    /// <summary>How long each run takes.</summary>
    public TimeSpan RunTime { get; init; }

    public IReadOnlyList<(string Instance, TimerInvocation Invocation)> Invocations => invocations.ToList();

    public int MaxConcurrent => Volatile.Read(ref maxRunning);

    public Task<TimerInvocation> First => first.Task;

    public async Task RunAsync(string instance, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref running);
        try
        {
            var seen = Volatile.Read(ref maxRunning);
            while (now > seen && Interlocked.CompareExchange(ref maxRunning, now, seen) is var actual && actual != seen)
            {
                seen = actual;
            }

            invocations.Enqueue((instance, invocation));
            first.TrySetResult(invocation);
            if (RunTime > TimeSpan.Zero)
            {
                await Task.Delay(RunTime, cancellationToken);
            }
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
    }
}

/// <summary>Names an app instance, so a probe can tell instances apart in failure messages.</summary>
internal sealed record TimerInstanceTag(string Name);

/// <summary>Records each invocation in the probe and logs two lines through the invocation's logger.</summary>
internal sealed partial class RecordingTimerJob(TimerJobProbe probe, TimerInstanceTag tag) : ITimerJob
{
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        LogHello(invocation.Logger, invocation.FunctionName);
        await probe.RunAsync(tag.Name, invocation, cancellationToken);
        LogCareful(invocation.Logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "hello from {Name}")]
    private static partial void LogHello(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "careful")]
    private static partial void LogCareful(ILogger logger);
}

/// <summary>Always fails.</summary>
internal sealed class FailingTimerJob : ITimerJob
{
    public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => throw new InvalidOperationException("the job broke");
}

/// <summary>Registration helpers for the test jobs.</summary>
internal static class TimerTestJobs
{
    public static Action<IServiceCollection> Recording(TimerJobProbe probe, string instance, string name, string schedule) => services =>
    {
        services.AddSingleton(probe);
        services.AddSingleton(new TimerInstanceTag(instance));
        services.AddTimerJob<RecordingTimerJob>(name, schedule);
    };
}
