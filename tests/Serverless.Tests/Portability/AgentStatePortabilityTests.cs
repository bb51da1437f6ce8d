using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Bundles;
using Serverless.Cli.Importers;
using Serverless.Tests.Lifecycle;
using static Serverless.Tests.Portability.PortabilityFlows;

namespace Serverless.Tests.Portability;

/// <summary>Memories, runs and events (with the usage they feed) through export and import, end to end on the local server.</summary>
public sealed class AgentStatePortabilityTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task RoundTrip_IntoAnEmptyUser_GivesTheSameContent_AndTheSameListsSearchCountersAndUsage_AndASecondImportChangesNothing()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        await FillAgentStateAsync(alice);

        var first = await ExportAsync(app, alice);
        var imported = await ImportAsync(app, bob, first, "skip");
        Assert.Equal("done", imported.GetProperty("state").GetString());
        var report = Report(imported);
        Assert.Equal((3, 0, 0), report["memory"]);
        Assert.Equal((3, 0, 0), report["run"]);
        Assert.Equal((4, 0, 0), report["event"]);
        Assert.Equal((4, 0, 0), report["message"]);

        await AssertSameContentAsync(first, await ExportAsync(app, bob));
        foreach (var path in SeenPaths)
        {
            Assert.Equal(await alice.GetStringAsync(path), await bob.GetStringAsync(path));
        }

        // The rebuilt derived rows answer like the source's: search, filtered lists, counters, usage.
        Assert.Single(JsonDocument.Parse(await bob.GetStringAsync("/api/v1/memories/user?q=blue")).RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(1, JsonDocument.Parse(await bob.GetStringAsync("/api/v1/runs/counts")).RootElement.GetProperty("succeeded").GetInt64());
        var usage = JsonDocument.Parse(await bob.GetStringAsync(UsagePath("total"))).RootElement.GetProperty("days");
        Assert.Equal(3, usage.EnumerateArray().Sum(d => d.GetProperty("messages").GetInt64()));
        Assert.Equal(4, usage.EnumerateArray().Sum(d => d.GetProperty("events").GetInt64()));

        var rowsBefore = Snapshot(await app.RowsAsync("bob"));
        var again = Report(await ImportAsync(app, bob, first, "overwrite"));
        Assert.Equal((0, 3, 0), again["memory"]);
        Assert.Equal((0, 3, 0), again["run"]);
        Assert.Equal((0, 4, 0), again["event"]);
        Assert.Equal(rowsBefore, Snapshot(await app.RowsAsync("bob")));
    }

    [Fact]
    public async Task ConflictPolicies_Memory_KeepsOrReplaces_Run_KeepsReplacesOrCopies_Event_IsAlwaysSkipped()
    {
        await using var app = await LifecycleApp.StartAsync();
        var carol = app.ClientFor("carol");
        await OkAsync(await carol.PutAsJsonAsync("/api/v1/memories/user/notes/n1", new { value = "alpha" }));
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/runs", new { id = "r1", kind = "tool", name = "search" }));
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/events", new { events = new[] { new { id = "e1", type = "search", time = Now.AddHours(-1), model = "m" } } }));
        var bundle = await ExportAsync(app, carol);
        await OkAsync(await carol.PutAsJsonAsync("/api/v1/memories/user/notes/n1", new { value = "bravo" }));
        await OkAsync(await carol.PatchAsJsonAsync("/api/v1/runs/r1", new { status = "running" }));

        var skip = Report(await ImportAsync(app, carol, bundle, "skip"));
        Assert.Equal(((0, 1, 0), (0, 1, 0), (0, 1, 0)), (skip["memory"], skip["run"], skip["event"]));
        Assert.Equal("bravo", (await Json(carol, "/api/v1/memories/user/notes/n1")).GetProperty("value").GetString());
        Assert.Equal("running", (await Json(carol, "/api/v1/runs/r1")).GetProperty("status").GetString());

        // keepBoth: a memory has no id to give a copy (the one there stays); a run is copied under a new id, once.
        var keepBoth = await ImportAsync(app, carol, bundle, "keepBoth");
        var kept = Report(keepBoth);
        Assert.Equal(((0, 1, 0), (1, 0, 0), (0, 1, 0)), (kept["memory"], kept["run"], kept["event"]));
        var copyId = keepBoth.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "run").GetProperty("notes")[0].GetProperty("reason").GetString()!
            .Split(' ')[2].TrimEnd(':');
        Assert.StartsWith("r1-", copyId, StringComparison.Ordinal);
        Assert.Equal("queued", (await Json(carol, $"/api/v1/runs/{copyId}")).GetProperty("status").GetString());
        Assert.Equal((0, 1, 0), Report(await ImportAsync(app, carol, bundle, "keepBoth"))["run"]);
        await OkAsync(await carol.PatchAsJsonAsync($"/api/v1/runs/{copyId}", new { status = "cancelled" }));
        var taken = await ImportAsync(app, carol, bundle, "keepBoth");
        Assert.Equal((0, 0, 1), Report(taken)["run"]);
        Assert.Contains("exists with other content", taken.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "run").GetProperty("failures")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);

        // overwrite: the memory (and its word index) and the run (its status lists and counters) are the bundle's again.
        var overwrite = Report(await ImportAsync(app, carol, bundle, "overwrite"));
        Assert.Equal(((1, 0, 0), (1, 0, 0), (0, 1, 0)), (overwrite["memory"], overwrite["run"], overwrite["event"]));
        Assert.Equal("alpha", (await Json(carol, "/api/v1/memories/user/notes/n1")).GetProperty("value").GetString());
        Assert.Single((await Json(carol, "/api/v1/memories/user?q=alpha")).GetProperty("data").EnumerateArray());
        Assert.Empty((await Json(carol, "/api/v1/memories/user?q=bravo")).GetProperty("data").EnumerateArray());
        Assert.Equal("queued", (await Json(carol, "/api/v1/runs/r1")).GetProperty("status").GetString());
        var counts = await Json(carol, "/api/v1/runs/counts");
        Assert.Equal((1, 0, 1, 2), (counts.GetProperty("queued").GetInt64(), counts.GetProperty("running").GetInt64(), counts.GetProperty("cancelled").GetInt64(), counts.GetProperty("total").GetInt64()));
        Assert.Empty((await Json(carol, "/api/v1/runs?status=running")).GetProperty("data").EnumerateArray());
        Assert.Equal(2, (await Json(carol, "/api/v1/runs?status=queued")).GetProperty("data").GetArrayLength() + (await Json(carol, "/api/v1/runs?status=cancelled")).GetProperty("data").GetArrayLength());
        Assert.Equal(1, (await Json(carol, "/api/v1/events")).GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("memory", """{"scope":"team","namespace":"n","key":"k","value":1,"createdAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("run", """{"id":"r1","kind":"tool","name":"x","status":"paused","createdAt":"2026-01-01T00:00:00Z"}""")]
    [InlineData("event", """{"id":"e1","type":"Search Done","time":"2026-01-01T00:00:00Z"}""")]
    [InlineData("event", """{"id":"e1","type":"search","time":"2999-01-01T00:00:00Z"}""")]
    public async Task ABundleWithAnInvalidLine_FailsItsJob_AndWritesNothing(string kind, string invalid)
    {
        await using var app = await LifecycleApp.StartAsync();
        var dave = app.ClientFor("dave");
        var bundle = await CliBundleAsync(async b =>
        {
            await using (var memories = b.Kind("memory"))
            {
                await memories.AddAsync(MemoryKeys.Line("user", "n", "good", JsonValue.Create("fine"), "2026-01-01T00:00:00.0000000Z"), "test", default);
                if (kind == "memory")
                {
                    await memories.AddAsync(JsonNode.Parse(invalid)!.AsObject(), "test", default);
                }

                await memories.CompleteAsync(default);
            }

            if (kind != "memory")
            {
                await using var lines = b.Kind(kind);
                await lines.AddAsync(JsonNode.Parse(invalid)!.AsObject(), "test", default);
                await lines.CompleteAsync(default);
            }
        });

        var failed = await ImportAsync(app, dave, bundle, "skip");
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal("bundle_line", failed.GetProperty("errorCode").GetString());
        Assert.Contains($"{kind}.ndjson line", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(await app.RowsAsync("dave"), r => Assert.StartsWith("port|", r.RowKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LinesAsTheCommandLineImportersWriteThem_Import_AndOldEventsAreImportedWithANote()
    {
        await using var app = await LifecycleApp.StartAsync();
        var erin = app.ClientFor("erin");
        var old = Now.AddDays(-200);
        var bundle = await CliBundleAsync(async b =>
        {
            await using (var memories = b.Kind("memory"))
            {
                await memories.AddAsync(MemoryKeys.Line("user", "nova.facts", "fact-0001", JsonNode.Parse("""{"text":"likes green tea"}"""), "2025-03-01T10:00:00.0000000Z"), "test", default);
                await memories.CompleteAsync(default);
            }

            await using (var runs = b.Kind("run"))
            {
                await runs.AddAsync(SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["id"] = "task-1", ["kind"] = "agent-task", ["name"] = "write report", ["status"] = "succeeded", ["threadId"] = null,
                    ["metadata"] = new JsonObject { ["agent"] = "a1" }, ["startedAt"] = "2025-03-01T10:00:00.0000000Z", ["endedAt"] = "2025-03-01T10:05:00.0000000Z",
                    ["createdAt"] = "2025-03-01T09:59:00.0000000Z",
                }), "test", default);
                await runs.CompleteAsync(default);
            }

            await using (var events = b.Kind("event"))
            {
                await events.AddAsync(SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["id"] = "sidepanel-analytics-1", ["type"] = "chat.send", ["time"] = BundleFormat.Timestamp(old), ["properties"] = null,
                    ["model"] = "gpt", ["promptTokens"] = 10, ["completionTokens"] = 5, ["cost"] = 0.25, ["durationMs"] = 900, ["threadId"] = "s1",
                }), "test", default);
                await events.CompleteAsync(default);
            }
        });

        var job = await ImportAsync(app, erin, bundle, "skip");
        Assert.Equal("done", job.GetProperty("state").GetString());
        var report = Report(job);
        Assert.Equal(((1, 0, 0), (1, 0, 0), (1, 0, 0)), (report["memory"], report["run"], report["event"]));
        var memory = await Json(erin, "/api/v1/memories/user/nova.facts/fact-0001");
        Assert.Equal(memory.GetProperty("createdAt").GetDateTimeOffset(), memory.GetProperty("updatedAt").GetDateTimeOffset());
        Assert.Single((await Json(erin, "/api/v1/memories/user?q=green")).GetProperty("data").EnumerateArray());
        var run = await Json(erin, "/api/v1/runs/task-1");
        Assert.Equal(("succeeded", 300_000L), (run.GetProperty("status").GetString(), run.GetProperty("durationMs").GetInt64()));
        Assert.Equal(1, (await Json(erin, "/api/v1/runs/counts")).GetProperty("succeeded").GetInt64());

        var note = job.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "event").GetProperty("notes")[0];
        Assert.Equal("sidepanel-analytics-1", note.GetProperty("id").GetString());
        Assert.Contains("retention", note.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Single((await Json(erin, "/api/v1/events")).GetProperty("data").EnumerateArray());
        var day = DateOnly.FromDateTime(old.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var usage = (await Json(erin, $"/api/v1/usage?from={day}&to={day}&by=model")).GetProperty("days")[0];
        Assert.Equal((1L, 15L), (usage.GetProperty("events").GetInt64(), usage.GetProperty("promptTokens").GetInt64() + usage.GetProperty("completionTokens").GetInt64()));
    }

    private static readonly string[] SeenPaths =
    [
        "/api/v1/memories/user", "/api/v1/memories/space:s1", "/api/v1/memories/app:x", "/api/v1/memories/user/prefs.ui/theme", "/api/v1/memories/user?q=blue+dark",
        "/api/v1/runs", "/api/v1/runs?status=succeeded", "/api/v1/runs?threadId=t1", "/api/v1/runs?kind=automation", "/api/v1/runs/counts", "/api/v1/runs/r1", "/api/v1/runs/r2",
        "/api/v1/events", "/api/v1/events?type=search",
        UsagePath("total"), UsagePath("model"), UsagePath("type"),
        "/api/v1/threads/t1/messages",
    ];

    private static string UsagePath(string by) =>
        $"/api/v1/usage?by={by}&from={DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-5):yyyy-MM-dd}&to={DateOnly.FromDateTime(Now.UtcDateTime).AddDays(1):yyyy-MM-dd}";

    /// <summary>Memories of three scopes (one rewritten, one null), runs in three statuses (one with a long output), events, and messages reporting usage.</summary>
    private static async Task FillAgentStateAsync(HttpClient client)
    {
        await OkAsync(await client.PutAsJsonAsync("/api/v1/memories/user/prefs.ui/theme", new { value = "light" }));
        await OkAsync(await client.PutAsJsonAsync("/api/v1/memories/user/prefs.ui/theme", new { value = "dark blue", tags = new[] { "ui", "colour" }, source = new { threadId = "t1", messageSequence = 1 } }));
        await OkAsync(await client.PutAsJsonAsync("/api/v1/memories/space:s1/notes/n1", new { value = new { items = new object[] { 1, "hello world" } } }));
        await OkAsync(await client.PutAsJsonAsync("/api/v1/memories/app:x/a.b/k", new { value = (object?)null }));

        await OkAsync(await client.PostAsJsonAsync("/api/v1/runs", new { id = "r1", kind = "tool", name = "search", threadId = "t1", messageSequence = 2, input = new { q = "weather" } }));
        await OkAsync(await client.PatchAsJsonAsync("/api/v1/runs/r1", new { status = "running" }));
        await OkAsync(await client.PatchAsJsonAsync("/api/v1/runs/r1", new { status = "succeeded", output = new { text = new string('o', 20_000) }, model = "gpt", promptTokens = 5, completionTokens = 7, cost = 0.01 }));
        await OkAsync(await client.PostAsJsonAsync("/api/v1/runs", new { id = "r2", kind = "automation", name = "nightly", status = "failed", error = "boom", parentRunId = "r1", missionId = "m1", metadata = new { attempt = 2 } }));
        await OkAsync(await client.PostAsJsonAsync("/api/v1/runs", new { id = "r3", kind = "tool", name = "queued one" }));

        await OkAsync(await client.PostAsJsonAsync("/api/v1/events", new
        {
            events = new object[]
            {
                new { id = "e1", type = "search", time = Now.AddDays(-2), properties = new { q = "x" }, durationMs = 12 },
                new { id = "e2", type = "model.call", time = Now.AddDays(-1), model = "gpt", promptTokens = 100, completionTokens = 50, cost = 0.5, threadId = "t1" },
                new { id = "e3", type = "model.call", time = Now.AddHours(-1), model = "claude", promptTokens = 10, completionTokens = 5, cost = 0.05 },
                new { id = "e1", type = "search", time = Now.AddHours(-2) },
            },
        }));

        await OkAsync(await client.PostAsJsonAsync("/api/v1/threads", new { id = "t1" }));
        await OkAsync(await client.PostAsJsonAsync("/api/v1/threads/t1/messages/batch", new
        {
            messages = new object[]
            {
                new { role = "user", content = "hi" },
                new { role = "assistant", content = "hello", model = "gpt", promptTokens = 3, completionTokens = 4, cost = 0.002 },
                new { role = "assistant", content = "again", model = "claude", promptTokens = 1, completionTokens = 1 },
            },
        }));
        await OkAsync(await client.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "assistant", content = "more", cost = 0.1 }));
    }

    private static async Task<byte[]> CliBundleAsync(Func<BundleBuilder, Task> fill)
    {
        using var zip = new MemoryStream();
        await using (var builder = await BundleBuilder.CreateAsync(zip, "test", default))
        {
            await fill(builder);
            await builder.CompleteAsync(default);
        }

        return zip.ToArray();
    }

    private static async Task<JsonElement> Json(HttpClient client, string path) => JsonDocument.Parse(await client.GetStringAsync(path)).RootElement;
}
