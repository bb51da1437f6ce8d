using System.Text;
using System.Text.Json;
using Serverless.Functions.AgentState;
using Serverless.Functions.Api;
using Serverless.Functions.Artifacts;
using Serverless.Functions.Autosave;
using Serverless.Functions.Conversations;
using Serverless.Functions.Integrations;
using Serverless.Functions.Missions;
using Serverless.Functions.Settings;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Worker;

/// <summary>
/// The isolated-worker functions in-process, one module after another, end to end against Azurite:
/// the app's real registrations, the worker middleware around each call, the returned result executed.
/// </summary>
public sealed class WorkerFunctionTests : IAsyncLifetime
{
    private WorkerTestApp worker = null!;

    public async Task InitializeAsync() => worker = await WorkerTestApp.StartAsync(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Missions:AllowedLocalTargets:0"] = "localhost:5055",
    });

    public async Task DisposeAsync() => await worker.DisposeAsync();

    [Fact]
    public async Task Settings_PutThenGet_RoundTripWithETag_AndAnotherUserSees404()
    {
        var put = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.PutSetting),
            WorkerTestApp.Request("PUT", "/api/v1/settings/ui/theme", """{"value":{"mode":"dark"}}""", "alice"),
            (f, r) => f.PutSetting(r, "ui", "theme", CancellationToken.None));
        var get = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.GetSetting),
            WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", userId: "alice"),
            (f, r) => f.GetSetting(r, "ui", "theme", CancellationToken.None));
        var other = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.GetSetting),
            WorkerTestApp.Request("GET", "/api/v1/settings/ui/theme", userId: "bob"),
            (f, r) => f.GetSetting(r, "ui", "theme", CancellationToken.None));

        Assert.Equal(201, put.Status);
        Assert.Equal("/api/v1/settings/ui/theme", put.Headers.Location.ToString());
        Assert.Equal(200, get.Status);
        Assert.Equal("dark", get.Json.GetProperty("value").GetProperty("mode").GetString());
        Assert.False(string.IsNullOrEmpty(get.Headers.ETag.ToString()));
        Assert.Equal(put.Headers.ETag.ToString(), get.Headers.ETag.ToString());
        Assert.StartsWith("application/json", get.Headers.ContentType.ToString(), StringComparison.Ordinal);
        Assert.Equal(404, other.Status);
        Assert.Equal(ProblemCodes.NotFound, other.Json.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Readiness_IsAnAnonymousFunction_SayingStorageIsReady()
    {
        var ready = await worker.InvokeAsync<ServiceFunctions>(nameof(ServiceFunctions.Ready), WorkerTestApp.Request("GET", "/api/ready"), (f, r) => f.Ready(r));

        Assert.Equal(200, ready.Status);
        Assert.Equal("ready", ready.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Settings_MalformedBody_Is400Problem_AndWritesNothing()
    {
        var put = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.PutSetting),
            WorkerTestApp.Request("PUT", "/api/v1/settings/ui/broken", """{"value": [1, 2""", "alice"),
            (f, r) => f.PutSetting(r, "ui", "broken", CancellationToken.None));
        var get = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.GetSetting),
            WorkerTestApp.Request("GET", "/api/v1/settings/ui/broken", userId: "alice"),
            (f, r) => f.GetSetting(r, "ui", "broken", CancellationToken.None));

        Assert.Equal(400, put.Status);
        Assert.Equal("application/problem+json", put.Headers.ContentType.ToString());
        Assert.Equal(ProblemCodes.MalformedJson, put.Json.GetProperty("code").GetString());
        Assert.Equal(404, get.Status);
    }

    [Fact]
    public async Task Conversations_CreateAppendList_ThroughTheFunctions()
    {
        var created = await worker.InvokeAsync<ThreadFunctions>(nameof(ThreadFunctions.CreateThread),
            WorkerTestApp.Request("POST", "/api/v1/threads", """{"id":"t1","title":"Hello"}""", "alice"),
            (f, r) => f.CreateThread(r, CancellationToken.None));
        var appended = await worker.InvokeAsync<MessageFunctions>(nameof(MessageFunctions.AppendMessage),
            WorkerTestApp.Request("POST", "/api/v1/threads/t1/messages", """{"role":"user","content":"hi"}""", "alice"),
            (f, r) => f.AppendMessage(r, "t1", CancellationToken.None));
        var listed = await worker.InvokeAsync<MessageFunctions>(nameof(MessageFunctions.ListMessages),
            WorkerTestApp.Request("GET", "/api/v1/threads/t1/messages?limit=10", userId: "alice"),
            (f, r) => f.ListMessages(r, "t1", CancellationToken.None));

        Assert.Equal(201, created.Status);
        Assert.Equal("/api/v1/threads/t1", created.Headers.Location.ToString());
        Assert.Equal(201, appended.Status);
        Assert.Equal(1, appended.Json.GetProperty("sequence").GetInt64());
        Assert.Equal(200, listed.Status);
        var messages = listed.Json.GetProperty("data");
        Assert.Equal("hi", Assert.Single(messages.EnumerateArray()).GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, listed.Json.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task Missions_CreateThenGet_ThroughTheFunctions()
    {
        var created = await worker.InvokeAsync<MissionFunctions>(nameof(MissionFunctions.CreateMission),
            WorkerTestApp.Request("POST", "/api/v1/missions", """{"name":"report","cron":"0 9 * * 1-5","url":"https://example.com/hook"}""", "alice"),
            (f, r) => f.CreateMission(r, CancellationToken.None));
        var id = created.Json.GetProperty("mission").GetProperty("id").GetString()!;
        var read = await worker.InvokeAsync<MissionFunctions>(nameof(MissionFunctions.GetMission),
            WorkerTestApp.Request("GET", $"/api/v1/missions/{id}", userId: "alice"),
            (f, r) => f.GetMission(r, id, CancellationToken.None));
        var stranger = await worker.InvokeAsync<MissionFunctions>(nameof(MissionFunctions.GetMission),
            WorkerTestApp.Request("GET", $"/api/v1/missions/{id}", userId: "mallory"),
            (f, r) => f.GetMission(r, id, CancellationToken.None));

        Assert.Equal(201, created.Status);
        Assert.StartsWith("whsec_", created.Json.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, read.Status);
        Assert.Equal("report", read.Json.GetProperty("name").GetString());
        Assert.False(read.Json.TryGetProperty("secret", out _));
        Assert.Equal(404, stranger.Status);
    }

    [Fact]
    public async Task Artifacts_UploadThenDownloadARange_ThroughTheFunctions()
    {
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 1000).Select(i => $"line {i}\n")));
        var upload = WorkerTestApp.Request("POST", "/api/v1/artifacts", userId: "alice", headers: new Dictionary<string, string>
        {
            ["Artifact-Kind"] = "log",
            ["Artifact-Name"] = "run.log",
            ["Artifact-Parent"] = "run:r1",
        });
        upload.Request.Body = new MemoryStream(content);
        upload.Request.ContentLength = content.Length;
        upload.Request.ContentType = "text/plain";
        var created = await worker.InvokeAsync<ArtifactFunctions>(nameof(ArtifactFunctions.UploadArtifact), upload, (f, r) => f.UploadArtifact(r, CancellationToken.None));
        var id = created.Json.GetProperty("id").GetString()!;
        var range = await worker.InvokeAsync<ArtifactFunctions>(nameof(ArtifactFunctions.GetArtifactContent),
            WorkerTestApp.Request("GET", $"/api/v1/artifacts/{id}/content", userId: "alice", headers: new Dictionary<string, string> { ["Range"] = "bytes=5-9" }),
            (f, r) => f.GetArtifactContent(r, id, CancellationToken.None));
        var stranger = await worker.InvokeAsync<ArtifactFunctions>(nameof(ArtifactFunctions.GetArtifact),
            WorkerTestApp.Request("GET", $"/api/v1/artifacts/{id}", userId: "mallory"),
            (f, r) => f.GetArtifact(r, id, CancellationToken.None));

        Assert.Equal(201, created.Status);
        Assert.Equal(("log", "br", content.Length), (created.Json.GetProperty("kind").GetString(), created.Json.GetProperty("storedEncoding").GetString(), created.Json.GetProperty("bytes").GetInt32()));
        Assert.Equal(206, range.Status);
        Assert.Equal("0\nlin", range.Body);
        Assert.Equal($"bytes 5-9/{content.Length}", range.Headers.ContentRange.ToString());
        Assert.Equal(404, stranger.Status);
    }

    [Fact]
    public async Task AgentState_MemoryRunEventsUsageAndRecord_ThroughTheFunctions()
    {
        var memory = await worker.InvokeAsync<MemoryFunctions>(nameof(MemoryFunctions.PutMemory),
            WorkerTestApp.Request("PUT", "/api/v1/memories/user/prefs/theme", """{"value":"dark"}""", "alice"),
            (f, r) => f.PutMemory(r, "user", "prefs", "theme", CancellationToken.None));
        var found = await worker.InvokeAsync<MemoryFunctions>(nameof(MemoryFunctions.ListMemories),
            WorkerTestApp.Request("GET", "/api/v1/memories/user?q=dark", userId: "alice"),
            (f, r) => f.ListMemories(r, "user", CancellationToken.None));
        var run = await worker.InvokeAsync<RunFunctions>(nameof(RunFunctions.CreateRun),
            WorkerTestApp.Request("POST", "/api/v1/runs", """{"id":"r1","kind":"tool","name":"search","status":"running"}""", "alice"),
            (f, r) => f.CreateRun(r, CancellationToken.None));
        var patched = await worker.InvokeAsync<RunFunctions>(nameof(RunFunctions.PatchRun),
            WorkerTestApp.Request("PATCH", "/api/v1/runs/r1", """{"status":"succeeded"}""", "alice"),
            (f, r) => f.PatchRun(r, "r1", CancellationToken.None));
        var time = DateTimeOffset.UtcNow.ToString("o");
        var events = await worker.InvokeAsync<EventFunctions>(nameof(EventFunctions.AppendEvents),
            WorkerTestApp.Request("POST", "/api/v1/events", $$"""{"events":[{"id":"e1","type":"search","time":"{{time}}","promptTokens":7}]}""", "alice"),
            (f, r) => f.AppendEvents(r, CancellationToken.None));
        var usage = await worker.InvokeAsync<EventFunctions>(nameof(EventFunctions.GetUsage),
            WorkerTestApp.Request("GET", "/api/v1/usage", userId: "alice"),
            (f, r) => f.GetUsage(r, CancellationToken.None));
        var record = await worker.InvokeAsync<RecordFunctions>(nameof(RecordFunctions.CreateRecord),
            WorkerTestApp.Request("POST", "/api/v1/records/agents", """{"id":"a1","status":"active"}""", "alice"),
            (f, r) => f.CreateRecord(r, "agents", CancellationToken.None));
        var incremented = await worker.InvokeAsync<RecordFunctions>(nameof(RecordFunctions.IncrementCounter),
            WorkerTestApp.Request("POST", "/api/v1/records/agents/a1/increment", """{"counter":"tasksCompleted","by":2}""", "alice"),
            (f, r) => f.IncrementCounter(r, "agents", "a1", CancellationToken.None));
        var stranger = await worker.InvokeAsync<RecordFunctions>(nameof(RecordFunctions.GetRecord),
            WorkerTestApp.Request("GET", "/api/v1/records/agents/a1", userId: "mallory"),
            (f, r) => f.GetRecord(r, "agents", "a1", CancellationToken.None));

        Assert.Equal(201, memory.Status);
        Assert.Equal("theme", Assert.Single(found.Json.GetProperty("data").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal(201, run.Status);
        Assert.Equal("succeeded", patched.Json.GetProperty("status").GetString());
        Assert.Equal(1, events.Json.GetProperty("stored").GetInt32());
        Assert.Equal(7, usage.Json.GetProperty("days").EnumerateArray().Last().GetProperty("promptTokens").GetInt64());
        Assert.Equal(201, record.Status);
        Assert.Equal(2, incremented.Json.GetProperty("counters").GetProperty("tasksCompleted").GetInt64());
        Assert.Equal(404, stranger.Status);
    }

    [Fact]
    public async Task Autosave_PutThenGet_ThroughTheFunctions()
    {
        var saved = await worker.InvokeAsync<AutosaveFunctions>(nameof(AutosaveFunctions.PutAutosave),
            WorkerTestApp.Request("PUT", "/api/v1/autosave/hud", """{"view":"chat","draft":"hello"}""", "alice"),
            (f, r) => f.PutAutosave(r, "hud", CancellationToken.None));
        var read = await worker.InvokeAsync<AutosaveFunctions>(nameof(AutosaveFunctions.GetAutosave),
            WorkerTestApp.Request("GET", "/api/v1/autosave/hud", userId: "alice"),
            (f, r) => f.GetAutosave(r, "hud", CancellationToken.None));
        var stranger = await worker.InvokeAsync<AutosaveFunctions>(nameof(AutosaveFunctions.GetAutosave),
            WorkerTestApp.Request("GET", "/api/v1/autosave/hud", userId: "mallory"),
            (f, r) => f.GetAutosave(r, "hud", CancellationToken.None));

        Assert.Equal(200, saved.Status);
        Assert.Equal(200, read.Status);
        Assert.Equal("hello", read.Json.GetProperty("state").GetProperty("draft").GetString());
        Assert.Equal(saved.Headers.ETag.ToString(), read.Headers.ETag.ToString());
        Assert.Equal(404, stranger.Status);
    }

    [Fact]
    public async Task Integrations_PutThenGet_ShowsTheSecretMasked_ThroughTheFunctions()
    {
        var put = await worker.InvokeAsync<IntegrationFunctions>(nameof(IntegrationFunctions.PutIntegration),
            WorkerTestApp.Request("PUT", "/api/v1/integrations/github", """{"config":{"org":"acme"},"secrets":{"token":"ghp_worker0123456789"}}""", "alice"),
            (f, r) => f.PutIntegration(r, "github", CancellationToken.None));
        var read = await worker.InvokeAsync<IntegrationFunctions>(nameof(IntegrationFunctions.GetIntegration),
            WorkerTestApp.Request("GET", "/api/v1/integrations/github", userId: "alice"),
            (f, r) => f.GetIntegration(r, "github", CancellationToken.None));

        Assert.Equal(200, put.Status);
        Assert.Equal(200, read.Status);
        Assert.Equal("****6789", read.Json.GetProperty("secrets")[0].GetProperty("mask").GetString());
        Assert.DoesNotContain("ghp_worker", put.Body + read.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_HealthIsAnonymous_AndTheDocumentIsTheLocalServers()
    {
        var health = await worker.InvokeAsync<ServiceFunctions>(nameof(ServiceFunctions.Health),
            WorkerTestApp.Request("GET", "/api/health"), (f, r) => Task.FromResult(f.Health(r)));
        var document = await worker.InvokeAsync<ServiceFunctions>(nameof(ServiceFunctions.GetOpenApiDocument),
            WorkerTestApp.Request("GET", "/api/v1/openapi.json"), (f, r) => f.GetOpenApiDocument(r));
        await using var local = new ApiFactory(await Azurite.Shared, localScheduler: false);
        var served = await local.CreateClient().GetStringAsync("/api/v1/openapi.json");

        Assert.Equal(200, health.Status);
        Assert.Equal("""{"status":"ok"}""", health.Body);
        Assert.Equal(200, document.Status);
        Assert.Equal(served, document.Body);
        Assert.True(document.Json.GetProperty("paths").TryGetProperty("/api/v1/threads/{threadId}/messages/{sequence}", out _));
    }
}
