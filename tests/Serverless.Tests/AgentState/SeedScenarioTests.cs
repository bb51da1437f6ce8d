using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Tests.Conversations;

namespace Serverless.Tests.AgentState;

/// <summary>The call sequences the seed apps (../shared/seeds) would make to keep the state they keep today in files and SQLite.</summary>
public sealed class SeedScenarioTests : ConversationTestBase
{
    [Fact]
    public async Task NovaHud_RemembersFactsFromAThread_RecallsThemByWords_AndRecordsToolRuns()
    {
        // nova_memory.json: facts extracted from a conversation, each with its source message.
        var thread = await CreateThreadAsync(Alice, new { title = "chat" });
        await AppendAsync(Alice, thread, "I live in Lisbon and my cat is called Miso");
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/memories/user/facts", new { key = "home", value = "Lives in Lisbon", tags = new[] { "location" }, source = new { threadId = thread, messageSequence = 1 } }), HttpStatusCode.Created);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/memories/user/facts", new { key = "pet", value = "Cat named Miso", source = new { threadId = thread, messageSequence = 1 } }), HttpStatusCode.Created);

        var recalled = await JsonOf(await Alice.GetAsync("/api/v1/memories/user?namespace=facts&q=lisbon"), HttpStatusCode.OK);
        var fact = Assert.Single(recalled.GetProperty("data").EnumerateArray());
        Assert.Equal("home", fact.GetProperty("key").GetString());
        Assert.Equal(thread, fact.GetProperty("source").GetProperty("threadId").GetString());

        // tool_runs: the HUD calls a tool for message 2 and records the run, then its outcome.
        await AppendAsync(Alice, thread, "What's the weather there?");
        var run = await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { kind = "tool", name = "weather", status = "running", threadId = thread, messageSequence = 2, input = new { city = "Lisbon" } }), HttpStatusCode.Created);
        var id = run.GetProperty("id").GetString()!;
        await JsonOf(await Alice.PatchAsJsonAsync($"/api/v1/runs/{id}", new { status = "succeeded", output = new { tempC = 21 } }), HttpStatusCode.OK);

        var runs = await JsonOf(await Alice.GetAsync($"/api/v1/runs?threadId={thread}"), HttpStatusCode.OK);
        Assert.Equal("succeeded", Assert.Single(runs.GetProperty("data").EnumerateArray()).GetProperty("status").GetString());
        Assert.Equal(21, (await JsonOf(await Alice.GetAsync($"/api/v1/runs/{id}"), HttpStatusCode.OK)).GetProperty("output").GetProperty("tempC").GetInt32());
    }

    [Fact]
    public async Task SidePanel_SendsAnalyticsInBatches_DrawsA90DayUsageChart_AndShowsRecentSearches()
    {
        var now = DateTimeOffset.UtcNow;
        var analytics = Enumerable.Range(0, 40).Select(i => new
        {
            id = $"a{i}",
            type = i % 4 == 0 ? "search" : "model.call",
            time = now.AddDays(-(i % 10)).AddMinutes(-i),
            properties = i % 4 == 0 ? new Dictionary<string, object> { ["query"] = $"query {i}" } : new Dictionary<string, object> { ["sessionId"] = "s1" },
            model = i % 4 == 0 ? null : "venice-large",
            promptTokens = i % 4 == 0 ? (long?)null : 100,
            completionTokens = i % 4 == 0 ? (long?)null : 50,
            cost = i % 4 == 0 ? (double?)null : 0.01,
            durationMs = 1200,
        }).ToList();
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = analytics.Take(25) }), HttpStatusCode.OK);
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = analytics.Skip(25) }), HttpStatusCode.OK);

        var from = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-89).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var chart = await JsonOf(await Alice.GetAsync($"/api/v1/usage?from={from}"), HttpStatusCode.OK);
        var days = chart.GetProperty("days").EnumerateArray().ToList();
        Assert.Equal(90, days.Count);
        Assert.Equal(30 * 100, days.Sum(d => d.GetProperty("promptTokens").GetInt64()));
        Assert.Equal(40, days.Sum(d => d.GetProperty("events").GetInt64()));
        var perModel = await JsonOf(await Alice.GetAsync($"/api/v1/usage?from={from}&by=model"), HttpStatusCode.OK);
        Assert.Equal(0.3, perModel.GetProperty("days").EnumerateArray().Sum(d => d.GetProperty("cost").GetDouble()), 6);

        // sidepanel.recent.searches: the newest searches first.
        var recent = await JsonOf(await Alice.GetAsync("/api/v1/events?type=search&limit=3"), HttpStatusCode.OK);
        Assert.Equal(["query 0", "query 20", "query 12"], recent.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("properties").GetProperty("query").GetString()!));
    }

    [Fact]
    public async Task Hive_KeepsCellsWithStatusTypeAndChildren_AndATimeline()
    {
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { id = "plan", status = "ready", data = new { type = "planning", workspacePath = "/w/plan", opencodeSessionId = "oc1" } }), HttpStatusCode.Created);
        foreach (var child in new[] { "impl-a", "impl-b" })
        {
            await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/cells", new { id = child, parentId = "plan", status = "provisioning", data = new { type = "implementation" } }), HttpStatusCode.Created);
            await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = new[] { new { id = $"{child}-created", type = "cell.status", time = DateTimeOffset.UtcNow, properties = new { cell = child, status = "provisioning" } } } }), HttpStatusCode.OK);
        }

        await JsonOf(await Alice.PatchAsJsonAsync("/api/v1/records/cells/impl-a", new { status = "running", data = new { metadata = new { branch = "feat/a" } } }), HttpStatusCode.OK);

        var running = await JsonOf(await Alice.GetAsync("/api/v1/records/cells?status=running"), HttpStatusCode.OK);
        var cell = Assert.Single(running.GetProperty("data").EnumerateArray());
        Assert.Equal("implementation", cell.GetProperty("data").GetProperty("type").GetString());
        Assert.Equal("feat/a", cell.GetProperty("data").GetProperty("metadata").GetProperty("branch").GetString());
        var children = await JsonOf(await Alice.GetAsync("/api/v1/records/cells?parentId=plan"), HttpStatusCode.OK);
        Assert.Equal(["impl-a", "impl-b"], children.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
        var timeline = await JsonOf(await Alice.GetAsync("/api/v1/events?type=cell.status"), HttpStatusCode.OK);
        Assert.Equal(2, timeline.GetProperty("data").GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await Alice.DeleteAsync("/api/v1/records/cells/plan?cascade=true")).StatusCode);
        Assert.Empty((await JsonOf(await Alice.GetAsync("/api/v1/records/cells"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Halo_RecordsAnAutomationRun_AndItsLastRunSummaryOnTheInstalledApp_WithActivityAndScopedMemory()
    {
        // installed_apps: spec snapshot, status, config, grants.
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/installed_apps", new
        {
            id = "digest",
            status = "active",
            data = new { spec = new { name = "Daily digest", version = "1.2.0" }, config = new { hour = 8 }, grants = new[] { "mail.read" } },
        }), HttpStatusCode.Created);

        // automation_runs: one run of the app, then the app's last-run summary, as the runtime records them.
        var run = await JsonOf(await Alice.PostAsJsonAsync("/api/v1/runs", new { kind = "automation", name = "digest", status = "running", metadata = new { appId = "digest", spaceId = "s1" } }), HttpStatusCode.Created);
        var runId = run.GetProperty("id").GetString()!;
        var done = await JsonOf(await Alice.PatchAsJsonAsync($"/api/v1/runs/{runId}", new { status = "succeeded", model = "claude", promptTokens = 900, completionTokens = 120, cost = 0.02 }), HttpStatusCode.OK);
        var summary = new { runId, status = "succeeded", at = done.GetProperty("endedAt").GetString(), durationMs = done.GetProperty("durationMs").GetInt64(), tokens = 1020 };
        var app = await JsonOf(await Alice.PatchAsJsonAsync("/api/v1/records/installed_apps/digest", new { data = new { lastRun = summary } }), HttpStatusCode.OK);
        Assert.Equal(runId, app.GetProperty("data").GetProperty("lastRun").GetProperty("runId").GetString());
        Assert.Equal(8, app.GetProperty("data").GetProperty("config").GetProperty("hour").GetInt32());
        var automationRuns = await JsonOf(await Alice.GetAsync("/api/v1/runs?kind=automation&status=succeeded"), HttpStatusCode.OK);
        Assert.Equal(runId, Assert.Single(automationRuns.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());

        // activity_entries with an escalation awaiting the user, then answered.
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/activity", new { id = "act1", status = "escalated", data = new { appId = "digest", runId, question = "Send to the whole team?" } }), HttpStatusCode.Created);
        Assert.Single((await JsonOf(await Alice.GetAsync("/api/v1/records/activity?status=escalated"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        await JsonOf(await Alice.PatchAsJsonAsync("/api/v1/records/activity/act1", new { status = "answered", data = new { response = "yes" } }), HttpStatusCode.OK);
        Assert.Empty((await JsonOf(await Alice.GetAsync("/api/v1/records/activity?status=escalated"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());

        // Memory at user, space and app scope (memory_write / memory_list).
        await JsonOf(await Alice.PutAsJsonAsync("/api/v1/memories/user/profile/name", new { value = "Alice" }), HttpStatusCode.Created);
        await JsonOf(await Alice.PutAsJsonAsync("/api/v1/memories/space:s1/notes/goal", new { value = "Ship v2" }), HttpStatusCode.Created);
        await JsonOf(await Alice.PutAsJsonAsync("/api/v1/memories/app:digest/state/cursor", new { value = new { lastMessageId = "m42" } }), HttpStatusCode.Created);
        Assert.Single((await JsonOf(await Alice.GetAsync("/api/v1/memories/space:s1"), HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Equal("m42", (await JsonOf(await Alice.GetAsync("/api/v1/memories/app:digest/state/cursor"), HttpStatusCode.OK)).GetProperty("value").GetProperty("lastMessageId").GetString());
    }

    [Fact]
    public async Task NofX_CountsTasksCompletedPerAgent_TracksSessionTasks_CheckpointsAndOrchestrationMessages()
    {
        await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/agents", new { id = "agent-123", status = "active", data = new { name = "Frontend Specialist", templateId = "frontend-specialist" }, counters = new { tasksCompleted = 0 } }), HttpStatusCode.Created);
        foreach (var task in new[] { "t1", "t2", "t3" })
        {
            await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/tasks", new { id = task, status = "in_progress", data = new { agentId = "agent-123", title = task } }), HttpStatusCode.Created);
        }

        // Three tasks finish at once: each marks itself done and bumps the agent's counter.
        await Task.WhenAll(new[] { "t1", "t2", "t3" }.Select(async task =>
        {
            await JsonOf(await Alice.PatchAsJsonAsync($"/api/v1/records/tasks/{task}", new { status = "completed", data = new { filesModified = 2 } }), HttpStatusCode.OK);
            await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/agents/agent-123/increment", new { counter = "tasksCompleted" }), HttpStatusCode.OK);
        }));

        var agent = await JsonOf(await Alice.GetAsync("/api/v1/records/agents/agent-123"), HttpStatusCode.OK);
        Assert.Equal(3, agent.GetProperty("counters").GetProperty("tasksCompleted").GetInt64());
        Assert.Equal(3, (await JsonOf(await Alice.GetAsync("/api/v1/records/tasks?status=completed"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        // A conversation checkpoint that expires, and orchestration messages as events.
        var expiresAt = DateTimeOffset.UtcNow.AddDays(7);
        var checkpoint = await JsonOf(await Alice.PostAsJsonAsync("/api/v1/records/checkpoints", new { parentId = (string?)null, data = new { agentId = "agent-123", messages = 42 }, expiresAt }), HttpStatusCode.Created);
        Assert.Equal(expiresAt.UtcTicks / TimeSpan.TicksPerMillisecond, checkpoint.GetProperty("expiresAt").GetDateTimeOffset().UtcTicks / TimeSpan.TicksPerMillisecond);
        var messages = Enumerable.Range(0, 5).Select(i => new { id = $"om{i}", type = "orchestration.message", time = DateTimeOffset.UtcNow.AddSeconds(-i), properties = new { from = "conductor", to = "agent-123", kind = "assign" } });
        Assert.Equal(5, (await JsonOf(await Alice.PostAsJsonAsync("/api/v1/events", new { events = messages }), HttpStatusCode.OK)).GetProperty("stored").GetInt32());
        Assert.Equal(5, (await JsonOf(await Alice.GetAsync("/api/v1/events?type=orchestration.message"), HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }
}
