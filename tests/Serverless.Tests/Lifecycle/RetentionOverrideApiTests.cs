using System.Net;
using System.Net.Http.Json;
using Serverless.Functions.Lifecycle;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>
/// One retention of deleted threads per user, for the restore route and the sweep alike: the user's
/// <c>_retention/thread.deleted</c> setting, else <c>Conversations:RestoreWindow</c>.
/// </summary>
public sealed class RetentionOverrideApiTests
{
    [Fact]
    public async Task ALongerRetentionSetting_KeepsADeletedThreadRestorable_PastTheDeploymentsWindow()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?> { ["Conversations:RestoreWindow"] = "00:00:00" });
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        Assert.True((await alice.PutAsJsonAsync("/api/v1/settings/_retention/thread.deleted", new { value = 60 })).IsSuccessStatusCode);
        foreach (var client in new[] { alice, bob })
        {
            Assert.True((await client.PostAsJsonAsync("/api/v1/threads", new { id = "t" })).IsSuccessStatusCode);
            Assert.True((await client.DeleteAsync("/api/v1/threads/t")).IsSuccessStatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync("/api/v1/threads/t/restore", null)).StatusCode);
        await ProblemAssert.IsProblemAsync(await bob.PostAsync("/api/v1/threads/t/restore", null), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AShorterRetentionSetting_EndsTheRestoreWindow_AndTheSweepPurgesByTheSameRetention()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var app = await LifecycleApp.StartAsync(clock: clock);
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        Assert.True((await alice.PutAsJsonAsync("/api/v1/settings/_retention/thread.deleted", new { value = 1 })).IsSuccessStatusCode);
        foreach (var client in new[] { alice, bob })
        {
            Assert.True((await client.PostAsJsonAsync("/api/v1/threads", new { id = "t" })).IsSuccessStatusCode);
            Assert.True((await client.PostAsJsonAsync("/api/v1/threads/t/messages", new { role = "user", content = new string('x', 20_000) })).IsSuccessStatusCode);
            Assert.True((await client.DeleteAsync("/api/v1/threads/t")).IsSuccessStatusCode);
        }

        clock.Now = clock.Now.AddDays(1).AddMinutes(10);
        await ProblemAssert.IsProblemAsync(await alice.PostAsync("/api/v1/threads/t/restore", null), HttpStatusCode.NotFound, "not_found");
        await app.RunTimerAsync<RetentionSweepJob>(RetentionSweepJob.Name);

        // Alice's thread is gone (rows and blobs); Bob's, under the deployment's 30 days, is in the trash and restorable.
        var left = (await app.RowsAsync("alice")).Select(r => r.RowKey).ToList();
        Assert.DoesNotContain(left, k => !k.StartsWith("setting|", StringComparison.Ordinal) && !k.StartsWith("lifecycle|", StringComparison.Ordinal));
        Assert.DoesNotContain(await app.TracesAsync("alice"), t => t.Contains("/msg/", StringComparison.Ordinal));
        Assert.Equal(0, (await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/threads?deleted=true"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, (await bob.PostAsync("/api/v1/threads/t/restore", null)).StatusCode);
        Assert.Equal(new string('x', 20_000), (await LifecycleApp.JsonAsync(await bob.GetAsync("/api/v1/threads/t/messages/1"), HttpStatusCode.OK)).GetProperty("content").GetString());
    }
}
