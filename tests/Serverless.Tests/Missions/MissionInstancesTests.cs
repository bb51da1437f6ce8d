using System.Text.Json;
using Serverless.Functions.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Missions;

public sealed class MissionInstancesTests
{
    [Fact]
    public async Task TwoInstances_RacingTicks_DeliverEachFiringExactlyOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var start = DateTimeOffset.UtcNow;
        var clock = new ManualClock(start);
        var storage = MissionTestApp.SharedStorage();
        var azurite = await Azurite.Shared;
        await using var first = new MissionTestApp(azurite, receiver, clock, storage);
        await using var second = new MissionTestApp(azurite, receiver, clock, storage);
        var alice = first.ClientFor("alice");
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add((await MissionTestApp.CreateAsync(alice, new { name = $"m{i}", intervalSeconds = 60, startAt = start, url = receiver.Url("/ok") })).Id);
        }

        await second.TickAsync(); // both instances start and nothing is due yet
        clock.Now = start.AddSeconds(61);
        await Task.WhenAll(first.TickAsync(), second.TickAsync(), first.TickAsync(), second.TickAsync());
        await Task.WhenAll(first.TickAsync(), second.TickAsync());

        var expected = ids.Select(id => WebhookSignature.FiringId(id, start.AddSeconds(60), false)).Order().ToArray();
        Assert.Equal(expected, receiver.At("/ok").Select(r => r.Id).Order().ToArray());

        var viaSecond = second.ClientFor("alice");
        foreach (var id in ids)
        {
            var mission = JsonDocument.Parse(await viaSecond.GetStringAsync($"/api/v1/missions/{id}")).RootElement;
            Assert.Equal(1, mission.GetProperty("runCount").GetInt64());
        }
    }

    [Fact]
    public async Task LocalScheduler_FiresMissionsTick_OnItsOwn()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = new MissionTestApp(await Azurite.Shared, receiver, clock: null, localScheduler: true);
        var alice = app.ClientFor("alice");
        var (id, secret) = await MissionTestApp.CreateAsync(alice, new { name = "each minute", cron = "* * * * *", url = receiver.Url("/ok") });

        var deadline = DateTime.UtcNow.AddSeconds(150);
        while (!receiver.At("/ok").Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        var delivery = Assert.Single(receiver.At("/ok"));
        var verified = await NodeScript.RunAsync("webhook-receiver.mjs", "verify", secret, delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body);
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
        Assert.Contains(id, delivery.Body, StringComparison.Ordinal);
    }
}
