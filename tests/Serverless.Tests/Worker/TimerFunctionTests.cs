using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Missions;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Worker;

/// <summary>The MissionsTick timer function in-process, invoked with <see cref="TimerInfo"/> as the host would.</summary>
public sealed class TimerFunctionTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MissionsTick_DeliversWhatIsDue_AndSaysWhenItIsPastDue(bool pastDue)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var start = DateTimeOffset.UtcNow;
        var clock = new ManualClock(start);
        await using var worker = await WorkerTestApp.StartAsync(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Missions:AllowedLocalTargets:0"] = receiver.Target,
            ["Missions:DeliveryTimeout"] = "00:00:02",
            ["Missions:SecretKeys:k1"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
            ["Missions:ActiveSecretKeyId"] = "k1",
        }, services => services.AddSingleton<TimeProvider>(clock));
        var body = JsonSerializer.Serialize(new { name = "each minute", intervalSeconds = 60, startAt = start, url = receiver.Url("/ok") });
        var created = await worker.InvokeAsync<MissionFunctions>(nameof(MissionFunctions.CreateMission),
            WorkerTestApp.Request("POST", "/api/v1/missions", body, "alice"), (f, r) => f.CreateMission(r, CancellationToken.None));
        Assert.Equal(201, created.Status);

        clock.Now = start.AddSeconds(61);
        var timer = new TimerInfo
        {
            IsPastDue = pastDue,
            ScheduleStatus = new ScheduleStatus { Last = start.UtcDateTime, Next = start.AddSeconds(120).UtcDateTime, LastUpdated = start.UtcDateTime },
        };
        await using (var scope = worker.Services.CreateAsyncScope())
        {
            var function = ActivatorUtilities.CreateInstance<MissionsTickFunction>(scope.ServiceProvider);
            await function.MissionsTick(timer, CancellationToken.None);
        }

        Assert.Single(receiver.At("/ok"));
        Assert.Equal(pastDue, worker.Logs.Lines.Any(l => l.Contains("MissionsTick is past due", StringComparison.Ordinal)));
        Assert.Contains(worker.Logs.Lines, l => l.Contains("Timer MissionsTick succeeded", StringComparison.Ordinal));
    }
}
