using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Missions;
using Serverless.Functions.Storage;
using Serverless.Storage.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Missions;

public sealed class MissionFiringTests : IAsyncLifetime
{
    private WebhookReceiver receiver = null!;
    private ManualClock clock = null!;
    private MissionTestApp app = null!;
    private HttpClient alice = null!;
    private DateTimeOffset start;

    public async Task InitializeAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        start = DateTimeOffset.UtcNow;
        clock = new ManualClock(start);
        app = new MissionTestApp(await Azurite.Shared, receiver, clock);
        alice = app.ClientFor("alice");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await receiver.DisposeAsync();
    }

    /// <summary>An every-minute interval mission whose first occurrence is start + 60 s.</summary>
    private object Every(string path, string policy = "skip") => new
    {
        name = "m " + path,
        intervalSeconds = 60,
        startAt = start,
        url = receiver.Url(path),
        missedRunPolicy = policy,
        payload = new { hello = "world", path },
    };

    private async Task<JsonElement> MissionAsync(string id) => JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}")).RootElement;

    private async Task<JsonElement[]> RunsAsync(string id) =>
        JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}/runs")).RootElement.GetProperty("data").EnumerateArray().ToArray();

    private static bool SignedWith(ReceivedWebhook w, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{w.Id}.{w.Timestamp}.{w.Body}")));
        return w.Signature.Split(' ').Contains(expected);
    }

    [Fact]
    public async Task UnreadableStoredDefinition_PausesTheMissionOnItsTick_SayingWhy_AndAPutResumesIt()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/unreadable"));
        var users = app.Services.GetRequiredService<AppTables>().Users;
        var partition = Serverless.Storage.Users.UserPartition.For("alice").Key;
        await users.UpdateEntityAsync(new Azure.Data.Tables.TableEntity(partition, "mission|" + id) { ["Definition"] = "{\"Name\":" }, Azure.ETag.All, Azure.Data.Tables.TableUpdateMode.Merge);

        clock.Now = start.AddSeconds(61);
        await app.TickAsync();
        var paused = await MissionAsync(id);
        var put = await alice.PutAsync($"/api/v1/missions/{id}", System.Net.Http.Json.JsonContent.Create(new { name = "again", intervalSeconds = 60, url = receiver.Url("/unreadable") }));
        var resumed = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement;

        Assert.Empty(receiver.At("/unreadable"));
        Assert.False(paused.GetProperty("enabled").GetBoolean());
        Assert.Equal(MissionFiring.UnreadableDefinition, paused.GetProperty("pausedReason").GetString());
        Assert.Equal("definition", paused.GetProperty("unreadable")[0].GetString());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.True(resumed.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, resumed.GetProperty("unreadable").ValueKind);
        Assert.Equal(JsonValueKind.Null, resumed.GetProperty("pausedReason").ValueKind);
    }

    [Fact]
    public async Task HostTick_DeliversOnce_SignedPerStandardWebhooks_AndRecordsTheRun()
    {
        var (id, secret) = await MissionTestApp.CreateAsync(alice, Every("/ok"));
        await app.TickAsync();
        Assert.Empty(receiver.Received); // not due yet

        clock.Now = start.AddSeconds(61);
        await app.TickAsync();
        await app.TickAsync(); // a second tick (host retry) delivers nothing more

        var delivery = Assert.Single(receiver.At("/ok"));
        Assert.StartsWith("msg_", delivery.Id, StringComparison.Ordinal);
        Assert.Equal(WebhookSignature.FiringId(id, start.AddSeconds(60), manual: false), delivery.Id);
        Assert.True(SignedWith(delivery, secret));
        Assert.Equal("application/json", delivery.Headers["content-type"]);
        var body = JsonDocument.Parse(delivery.Body).RootElement;
        Assert.Equal(id, body.GetProperty("missionId").GetString());
        Assert.Equal("world", body.GetProperty("data").GetProperty("hello").GetString());

        var verified = await NodeScript.RunAsync("webhook-receiver.mjs", "verify", secret, delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body);
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());

        var mission = await MissionAsync(id);
        Assert.Equal(1, mission.GetProperty("runCount").GetInt64());
        Assert.Equal(1, mission.GetProperty("successCount").GetInt64());
        Assert.Equal("succeeded", mission.GetProperty("lastRunStatus").GetString());
        Assert.Equal(start.AddSeconds(120), mission.GetProperty("nextRunAt").GetDateTimeOffset());
        var run = Assert.Single(await RunsAsync(id));
        Assert.Equal(200, run.GetProperty("httpStatus").GetInt32());
        Assert.Equal(1, run.GetProperty("attempt").GetInt32());
        Assert.Equal(delivery.Id, run.GetProperty("webhookId").GetString());
        Assert.Equal("{\"ok\":true}", run.GetProperty("responseExcerpt").GetString());
    }

    [Fact]
    public async Task Receiver500_RetriesOnALaterTick_WithTheSameWebhookId()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/fail"));
        clock.Now = start.AddSeconds(61);
        await app.TickAsync();
        clock.Now = start.AddSeconds(75);
        await app.TickAsync(); // backoff (30 s ± 20 %) not over yet
        Assert.Single(receiver.At("/fail"));

        clock.Now = start.AddSeconds(61 + 40);
        await app.TickAsync();

        var deliveries = receiver.At("/fail").ToArray();
        Assert.Equal(2, deliveries.Length);
        Assert.Equal(deliveries[0].Id, deliveries[1].Id);
        var runs = await RunsAsync(id);
        Assert.Equal([2, 1], runs.Select(r => r.GetProperty("attempt").GetInt32()));
        Assert.All(runs, r => Assert.Equal(500, r.GetProperty("httpStatus").GetInt32()));
        Assert.Equal("boom", runs[0].GetProperty("responseExcerpt").GetString());
        var mission = await MissionAsync(id);
        Assert.Equal(2, mission.GetProperty("failureCount").GetInt64());
        Assert.Equal("failed", mission.GetProperty("lastRunStatus").GetString());
    }

    [Fact]
    public async Task FailedManualRun_ShowsItsPendingRetry_OnTheMissionAndInRunNowsConflict()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, new { name = "manual", intervalSeconds = 3600, url = receiver.Url("/fail") });
        var before = await MissionAsync(id);

        var first = await alice.PostAsync($"/api/v1/missions/{id}/run", null);
        var mission = await MissionAsync(id);
        var again = await alice.PostAsync($"/api/v1/missions/{id}/run", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(JsonValueKind.Null, before.GetProperty("pendingFiring").ValueKind);
        var pending = mission.GetProperty("pendingFiring");
        Assert.Equal("retrying", pending.GetProperty("state").GetString());
        Assert.Equal(2, pending.GetProperty("attempt").GetInt32());
        Assert.True(pending.GetProperty("manual").GetBoolean());
        var retryAt = pending.GetProperty("nextAttemptAt").GetDateTimeOffset();
        Assert.InRange(retryAt, start.AddSeconds(23), start.AddSeconds(37)); // 30 s ± 20 % after the failed attempt
        Assert.Equal(receiver.At("/fail").Single().Id, pending.GetProperty("webhookId").GetString());

        var conflict = await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "conflict");
        var detail = conflict.GetProperty("detail").GetString()!;
        Assert.Contains("attempt 2", detail, StringComparison.Ordinal);
        Assert.Contains(retryAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
        Assert.Equal(pending.GetRawText(), conflict.GetProperty("pendingFiring").GetRawText());

        clock.Now = retryAt.AddSeconds(1);
        await app.TickAsync();
        var afterRetry = await MissionAsync(id);
        Assert.Equal(3, afterRetry.GetProperty("pendingFiring").GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task Receiver410_PausesTheMission()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/gone"));
        clock.Now = start.AddSeconds(61);
        await app.TickAsync();
        clock.Now = start.AddMinutes(10);
        await app.TickAsync();

        Assert.Single(receiver.At("/gone"));
        var mission = await MissionAsync(id);
        Assert.False(mission.GetProperty("enabled").GetBoolean());
        Assert.Contains("410", mission.GetProperty("pausedReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receiver302_IsNotFollowed_AndFails()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/redirect"));
        clock.Now = start.AddSeconds(61);
        await app.TickAsync();

        Assert.Single(receiver.At("/redirect"));
        Assert.Empty(receiver.At("/ok"));
        var run = Assert.Single(await RunsAsync(id));
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal(302, run.GetProperty("httpStatus").GetInt32());
    }

    [Fact]
    public async Task HangingReceiver_TimesOut_AndIsRetriedLater()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/hang"));
        clock.Now = start.AddSeconds(61);
        await app.TickAsync();

        var run = Assert.Single(await RunsAsync(id));
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("Timed out", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, run.GetProperty("httpStatus").ValueKind);
        Assert.True(run.GetProperty("durationMs").GetInt64() >= 1900);
    }

    private async Task<JsonElement> RunNowAsync(string id)
    {
        var response = await alice.PostAsync($"/api/v1/missions/{id}/run", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static string ResponseRoute(string missionId, JsonElement run) => $"/api/v1/missions/{missionId}/runs/{run.GetProperty("id").GetString()}/response";

    [Fact]
    public async Task LargeResponse_RunKeepsTheFirstKiB_AndTheResponseRouteServesTheFirstCapBytes()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/big"));
        var ran = await RunNowAsync(id);

        var run = Assert.Single(await RunsAsync(id));
        Assert.Equal(ran.GetProperty("id").GetString(), run.GetProperty("id").GetString());
        // The excerpt stops before the € that straddles the 1 KiB mark.
        Assert.Equal(new string('a', 1022), run.GetProperty("responseExcerpt").GetString());
        Assert.Equal(MissionOptions.DefaultMaxResponseBodyBytes, run.GetProperty("responseBytes").GetInt64());
        Assert.True(run.GetProperty("responseTruncated").GetBoolean());
        Assert.True(run.GetProperty("hasResponseBody").GetBoolean());
        Assert.Equal(WebhookReceiver.BigContentType, run.GetProperty("responseContentType").GetString());

        var body = await alice.GetAsync(ResponseRoute(id, run));
        Assert.Equal(HttpStatusCode.OK, body.StatusCode);
        Assert.Equal(WebhookReceiver.BigContentType, body.Content.Headers.ContentType!.ToString());
        Assert.Equal(MissionOptions.DefaultMaxResponseBodyBytes, body.Content.Headers.ContentLength);
        Assert.Equal(WebhookReceiver.BigBody[..MissionOptions.DefaultMaxResponseBodyBytes], await body.Content.ReadAsByteArrayAsync());

        // Another user: 404, like every other route of alice's mission.
        var bob = app.ClientFor("bob");
        await ProblemAssert.IsProblemAsync(await bob.GetAsync(ResponseRoute(id, run)), HttpStatusCode.NotFound, "not_found");

        // Once the mission is deleted its runs are not served.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/v1/missions/{id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await alice.GetAsync(ResponseRoute(id, run)), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task SmallResponse_StaysInTheExcerpt_StoresNoBlob_AndTheResponseRouteIs404()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/ok"));
        await RunNowAsync(id);

        var run = Assert.Single(await RunsAsync(id));
        Assert.Equal("{\"ok\":true}", run.GetProperty("responseExcerpt").GetString());
        Assert.Equal(11, run.GetProperty("responseBytes").GetInt64());
        Assert.False(run.GetProperty("responseTruncated").GetBoolean());
        Assert.False(run.GetProperty("hasResponseBody").GetBoolean());
        Assert.Equal("application/json", run.GetProperty("responseContentType").GetString());
        await ProblemAssert.IsProblemAsync(await alice.GetAsync(ResponseRoute(id, run)), HttpStatusCode.NotFound, "not_found");

        var payloads = app.Services.GetRequiredService<AppContainers>().Payloads;
        var userKey = Serverless.Storage.Users.UserPartition.For("alice").Key;
        Assert.Empty(await payloads.ListNamesAsync(MissionStore.ResponseBlobPrefix(userKey, id) + "/"));
    }

    [Fact]
    public async Task BodyStallingAfter200_Succeeds_KeepingWhatArrived()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/stall"));
        await RunNowAsync(id);

        var run = Assert.Single(await RunsAsync(id));
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(200, run.GetProperty("httpStatus").GetInt32());
        Assert.Equal(WebhookReceiver.StallBytes, run.GetProperty("responseBytes").GetInt64());
        Assert.True(run.GetProperty("responseTruncated").GetBoolean());
        Assert.Equal(new string('y', 1024), run.GetProperty("responseExcerpt").GetString());
        var body = await alice.GetByteArrayAsync(ResponseRoute(id, run));
        Assert.Equal(WebhookReceiver.StallBytes, body.Length);
        Assert.Equal(1, (await MissionAsync(id)).GetProperty("successCount").GetInt64());
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("2518448339779199999-0123456789abcdef0123456789abcdef")]
    [InlineData("251844833977919999x-0123456789abcdef0123456789abcdef")]
    [InlineData("2518448339779199999-a|b")]
    public async Task UnknownOrMalformedRunIds_Are404(string runId)
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/big"));
        await RunNowAsync(id);

        var response = await alice.GetAsync($"/api/v1/missions/{id}/runs/{Uri.EscapeDataString(runId)}/response");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task CrashBetweenSendAndRecord_TheResendCarriesTheSameWebhookId()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/ok"));
        clock.Now = start.AddSeconds(61);
        await app.TickAsync();
        var first = Assert.Single(receiver.At("/ok"));

        // Put the row back as the claim left it: the firing pending, due when the claim's lease ran out.
        var store = app.Services.GetRequiredService<MissionStore>();
        var firing = app.Services.GetRequiredService<MissionFiring>();
        var userKey = Serverless.Storage.Users.UserPartition.For("alice").Key;
        var record = (await store.GetAsync(userKey, id, CancellationToken.None))!;
        var crashed = record.State with
        {
            RunCount = 0,
            SuccessCount = 0,
            Pending = new PendingFiring(first.Id, start.AddSeconds(60), 1, false),
            DueAt = start.AddSeconds(62), // lease expiry (shortened; the real lease is timeout + 1 min)
        };
        await firing.IndexAsync(userKey, id, crashed.DueAt!.Value, CancellationToken.None);
        await store.ReplaceAsync(userKey, id, record.DefinitionJson, crashed, record.ETag, CancellationToken.None);

        clock.Now = start.AddSeconds(63);
        await app.TickAsync();

        var deliveries = receiver.At("/ok").ToArray();
        Assert.Equal(2, deliveries.Length);
        Assert.Equal(first.Id, deliveries[1].Id);
        Assert.Equal(first.Body, deliveries[1].Body);
        Assert.Equal(2, (await RunsAsync(id))[0].GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task RunNow_FiresImmediately_AndTheRunLogPages()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, Every("/ok"));
        for (var i = 0; i < 3; i++)
        {
            clock.Now = clock.Now.AddSeconds(1);
            var response = await alice.PostAsync($"/api/v1/missions/{id}/run", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("manual").GetBoolean());
        }

        Assert.Equal(3, receiver.At("/ok").Select(r => r.Id).Distinct().Count());
        var page = JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}/runs?limit=2")).RootElement;
        Assert.Equal(2, page.GetProperty("data").GetArrayLength());
        var cursor = page.GetProperty("nextCursor").GetString()!;
        var rest = JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}/runs?limit=2&cursor={Uri.EscapeDataString(cursor)}")).RootElement;
        Assert.Equal(1, rest.GetProperty("data").GetArrayLength());
        var bob = app.ClientFor("bob");
        await ProblemAssert.IsProblemAsync(await bob.GetAsync($"/api/v1/missions/{id}/runs?cursor={Uri.EscapeDataString(cursor)}"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AfterRotation_OldAndNewSecretsBothSign()
    {
        var (id, oldSecret) = await MissionTestApp.CreateAsync(alice, Every("/ok"));
        var rotated = JsonDocument.Parse(await (await alice.PostAsync($"/api/v1/missions/{id}/rotate-secret", null)).Content.ReadAsStringAsync()).RootElement;
        var newSecret = rotated.GetProperty("secret").GetString()!;

        await alice.PostAsync($"/api/v1/missions/{id}/run", null);

        var delivery = Assert.Single(receiver.At("/ok"));
        Assert.Equal(2, delivery.Signature.Split(' ').Length);
        Assert.True(SignedWith(delivery, oldSecret));
        Assert.True(SignedWith(delivery, newSecret));
        var verified = await NodeScript.RunAsync("webhook-receiver.mjs", "verify", newSecret, delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body);
        Assert.True(verified.GetProperty("ok").GetBoolean(), verified.ToString());
    }

    [Fact]
    public async Task CatchUp_AfterDowntime_FiresTheLastNInOneTick()
    {
        var (id, _) = await MissionTestApp.CreateAsync(alice, new { name = "c", intervalSeconds = 60, startAt = start, url = receiver.Url("/ok"), missedRunPolicy = "catchUp", maxCatchUp = 3 });
        clock.Now = start.AddMinutes(10).AddSeconds(5);
        await app.TickAsync();

        var ids = receiver.At("/ok").Select(r => r.Id).ToArray();
        Assert.Equal(
            [WebhookSignature.FiringId(id, start.AddMinutes(8), false), WebhookSignature.FiringId(id, start.AddMinutes(9), false), WebhookSignature.FiringId(id, start.AddMinutes(10), false)],
            ids);
        Assert.Equal(start.AddMinutes(11), (await MissionAsync(id)).GetProperty("nextRunAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task RunOnceAndSkip_AfterDowntime()
    {
        var (once, _) = await MissionTestApp.CreateAsync(alice, Every("/ok", "runOnce"));
        var (skip, _) = await MissionTestApp.CreateAsync(alice, Every("/ok", "skip"));
        clock.Now = start.AddMinutes(10).AddSeconds(5);
        await app.TickAsync();

        var ids = receiver.At("/ok").Select(r => r.Id).ToArray();
        // Skip still fires the occurrence that is on time (10:00 within the grace); run-once fires that same latest one.
        Assert.Equal(2, ids.Length);
        Assert.Contains(WebhookSignature.FiringId(once, start.AddMinutes(10), false), ids);
        Assert.Contains(WebhookSignature.FiringId(skip, start.AddMinutes(10), false), ids);

        clock.Now = start.AddMinutes(20).AddSeconds(30);
        receiver.Received.Clear();
        await app.TickAsync();
        Assert.Single(receiver.Received, r => r.Id == WebhookSignature.FiringId(once, start.AddMinutes(20), false));
    }
}
