using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Serverless.Cli;
using Serverless.Cli.Importers;

namespace Serverless.Tests.Cli;

/// <summary>
/// The Nova HUD (seed 000), NofX (seed 004) and Halo (seed 003) importers on files built from the seeds'
/// descriptions (real JSON files, JSONL, a real SQLite database and memory folders), asserting the bundle's lines.
/// </summary>
public sealed class AppImporterTests : IDisposable
{
    private readonly CliRunner scratch = new();

    public void Dispose() => scratch.Dispose();

    private string Write(string relative, string text)
    {
        var path = Path.Combine(scratch.Folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    // ---- Nova HUD (seed 000) ----

    [Fact]
    public async Task Nova_AHudFolder_GivesThreadsSchedulesWithCountersMemoriesAndIntegrations()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var hud = Path.Combine(scratch.Folder, "nova");
        Write("nova/hud/data/notification-schedules.json", """
            {"schedules": [
              {"id": "morning-brief", "label": "Morning brief", "cron": "0 8 * * *", "channel": "telegram", "enabled": true,
               "runCount": 41, "successCount": 39, "failureCount": 2, "lastRunAt": "2025-05-01T08:00:02.000Z", "createdAt": "2025-03-01T09:00:00.000Z"},
              {"id": "weekly", "label": "Weekly", "cron": "0 9 * * 1", "enabled": false, "runCount": 0, "successCount": 0, "failureCount": 0}
            ]}
            """);
        Write("nova/agent/nova_memory.json", """
            {"facts": ["Prefers metric units", {"id": "home", "fact": "Lives in Lyon", "createdAt": 1714550400000}],
             "userName": "Sam", "preferences": {"tone": "brief"}}
            """);
        Write("nova/hud/data/integrations-config.json", $$$$"""
            {"telegram": {"connected": true, "chatIds": ["42"], "botToken": "{{{{NovaImporter.Encrypt(key, "123:abc-telegram")}}}}"},
             "openai": {"model": "gpt-4o", "auth": {"apiKey": "{{{{NovaImporter.Encrypt(key, "sk-live-xyz")}}}}"}}}
            """);
        var conversations = Write("nova/localStorage.json", """
            {"nova-conversations": "[{\"id\":\"c1\",\"title\":\"Weather\",\"createdAt\":1714550400000,\"updatedAt\":1714550460000,\"messages\":[{\"id\":\"u1\",\"role\":\"user\",\"content\":\"Rain today?\",\"createdAt\":1714550400000},{\"role\":\"assistant\",\"content\":\"No rain.\",\"createdAt\":1714550410000,\"source\":\"voice\"}]}]",
             "nova-active-conversation": "c1"}
            """);

        var bundle = await BundleContent.OfAsync(new NovaImporter([hud, conversations], key), scratch.Folder);
        Assert.Equal("nova-hud", bundle.Manifest.Source.App);

        var thread = Assert.Single(bundle.Of("thread"));
        Assert.Equal("c1", thread["id"]!.GetValue<string>());
        Assert.Equal("2024-05-01T08:00:00.0000000Z", thread["createdAt"]!.GetValue<string>());
        var messages = bundle.Of("message");
        Assert.Equal([("u1", "user", "Rain today?"), (null, "assistant", "No rain.")], messages.Select(m => (m["id"]?.GetValue<string>(), m["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())));
        Assert.Equal("2024-05-01T08:00:10.0000000Z", messages[1]["createdAt"]!.GetValue<string>());
        Assert.Equal("voice", messages[1]["metadata"]!["source"]!.GetValue<string>());
        Assert.Equal("c1", Assert.Single(bundle.Of("setting"))["value"]!.GetValue<string>());

        var schedules = bundle.Of("record").ToDictionary(r => r["id"]!.GetValue<string>());
        var morning = schedules["morning-brief"];
        Assert.Equal(NovaImporter.SchedulesCollection, morning["collection"]!.GetValue<string>());
        Assert.Equal(41, morning["counters"]!["runCount"]!.GetValue<long>());
        Assert.Equal(39, morning["counters"]!["successCount"]!.GetValue<long>());
        Assert.Equal(2, morning["counters"]!["failureCount"]!.GetValue<long>());
        Assert.Equal("2025-05-01T08:00:02.000Z", morning["data"]!["lastRunAt"]!.GetValue<string>());
        Assert.Null(morning["data"]!["runCount"]);
        Assert.Equal("enabled", morning["status"]!.GetValue<string>());
        Assert.Equal("disabled", schedules["weekly"]["status"]!.GetValue<string>());

        var memories = bundle.Of("memory").ToDictionary(m => $"{m["namespace"]}/{m["key"]}");
        Assert.Equal("Prefers metric units", memories["nova.facts/fact-0001"]["value"]!.GetValue<string>());
        Assert.Equal("Lives in Lyon", memories["nova.facts/home"]["value"]!["fact"]!.GetValue<string>());
        Assert.Equal("2024-05-01T08:00:00.0000000Z", memories["nova.facts/home"]["createdAt"]!.GetValue<string>());
        Assert.Equal("Sam", memories["nova/userName"]["value"]!.GetValue<string>());
        Assert.All(memories.Values, m => Assert.Equal("user", m["scope"]!.GetValue<string>()));

        var integrations = bundle.Of("integration").ToDictionary(i => i["provider"]!.GetValue<string>());
        Assert.Equal("123:abc-telegram", integrations["telegram"]["secrets"]!["botToken"]!.GetValue<string>());
        Assert.Null(integrations["telegram"]["config"]!["botToken"]);
        Assert.Equal("42", integrations["telegram"]["config"]!["chatIds"]![0]!.GetValue<string>());
        Assert.Equal("sk-live-xyz", integrations["openai"]["secrets"]!["auth.apiKey"]!.GetValue<string>());
    }

    [Fact]
    public async Task Nova_WithoutTheKey_LeavesSecretsOut_AndAWrongKeyFails()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var file = Write("integrations-config.json", $$$"""{"telegram": {"connected": true, "botToken": "{{{NovaImporter.Encrypt(key, "secret")}}}"}}""");

        var bundle = await BundleContent.OfAsync(new NovaImporter([file], null), scratch.Folder);
        var telegram = Assert.Single(bundle.Of("integration"));
        Assert.Null(telegram["secrets"]);
        Assert.DoesNotContain("enc:v1:", telegram.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains(bundle.Notes, n => n.Contains("botToken", StringComparison.Ordinal) && n.Contains("--secret-key", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new NovaImporter([file], RandomNumberGenerator.GetBytes(32)), scratch.Folder));
        Assert.Equal("secret_not_decrypted", error.Code);
        Assert.Equal(ExitCodes.InputFormat, error.ExitCode);
    }

    [Theory]
    [InlineData("localStorage.json", """{"something-else": []}""", "without a 'nova-conversations' key")]
    [InlineData("nova-conversations.json", """[{"title": "no id"}]""", "expected an object with a string 'id'")]
    [InlineData("nova-conversations.json", """[{"id": "c", "messages": [{"role": "narrator", "content": "x"}]}]""", "role 'narrator'")]
    [InlineData("notification-schedules.json", """{"jobs": []}""", "an object with a 'schedules' array")]
    [InlineData("notification-schedules.json", """[{"id": "a", "runCount": "many"}]""", "'runCount' is not a whole number")]
    [InlineData("nova_memory.json", """["a fact"]""", "expected a JSON object")]
    public async Task Nova_WhatItDoesNotUnderstand_FailsWithThePlace(string name, string json, string expected)
    {
        var file = Write(name, json);
        var error = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new NovaImporter([file], null), scratch.Folder));
        Assert.Equal(ExitCodes.InputFormat, error.ExitCode);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
    }

    // ---- NofX (seed 004) ----

    [Fact]
    public async Task Nofx_AgentsSessionsArchivesAndOrchestrationMessages_AreMapped()
    {
        Write("ws/.nofx/agents.json", """{"agents": [{"id": "agent-123", "name": "Frontend Specialist", "status": "active", "tasksCompleted": 5}]}""");
        Write("ws/.nofx/sessions/sess-1.json", """
            {"id": "sess-1", "agentId": "agent-123", "agentName": "Frontend Specialist", "status": "active", "tasksCompleted": 5,
             "createdAt": "2025-06-01T09:00:00.000Z", "lastActivity": "2025-06-01T10:00:00.000Z", "gitBranch": "feature/login",
             "template": {"id": "frontend-specialist", "name": "Frontend Specialist", "capabilities": {"languages": ["ts"]}},
             "conversationHistory": [
               {"type": "user", "content": "Build the login form", "timestamp": "2025-06-01T09:00:05.000Z"},
               {"type": "assistant", "content": "Done: LoginForm.tsx", "timestamp": "2025-06-01T09:20:00.000Z"}],
             "tasks": [{"id": "task-1", "title": "Login form", "status": "completed", "startTime": "2025-06-01T09:00:10.000Z", "endTime": "2025-06-01T09:19:00.000Z", "filesModified": ["LoginForm.tsx"]}]}
            """);
        Write("ws/.nofx/sessions/agent-123_session.md", "# Session\nuser: Build the login form");
        Write("ws/.nofx/archives/sess-0.json", """
            {"sessionId": "sess-0", "agentId": "agent-123", "agentName": "Frontend Specialist", "startTime": 1717146000000,
             "conversationHistory": [{"role": "human", "content": "hello", "timestamp": 1717146001000}], "tasks": []}
            """);
        Write("ws/.nofx/orchestration/messages.jsonl", """
            {"id": "msg-1", "type": "spawn_agent", "from": "conductor", "to": "agent-123", "timestamp": "2025-06-01T09:00:00.000Z", "payload": {"role": "frontend"}}
            {"type": "heartbeat", "from": "agent-123", "timestamp": "2025-06-01T09:00:30.000Z"}
            """);

        var bundle = await BundleContent.OfAsync(new NofxImporter(Path.Combine(scratch.Folder, "ws")), scratch.Folder);
        var threads = bundle.Of("thread").ToDictionary(t => t["id"]!.GetValue<string>());
        Assert.False(threads["sess-1"]["archived"]!.GetValue<bool>());
        Assert.True(threads["sess-0"]["archived"]!.GetValue<bool>());
        Assert.Equal("Frontend Specialist", threads["sess-1"]["title"]!.GetValue<string>());
        Assert.Equal("frontend-specialist", threads["sess-1"]["metadata"]!["templateId"]!.GetValue<string>());
        Assert.Null(threads["sess-1"]["metadata"]!["template"]);
        Assert.Equal("feature/login", threads["sess-1"]["metadata"]!["gitBranch"]!.GetValue<string>());
        Assert.Equal("2024-05-31T09:00:00.0000000Z", threads["sess-0"]["createdAt"]!.GetValue<string>());

        var messages = bundle.Of("message");
        Assert.Equal([("sess-1", "user"), ("sess-1", "assistant"), ("sess-0", "user")], messages.Select(m => (m["threadId"]!.GetValue<string>(), m["role"]!.GetValue<string>())));
        Assert.Equal("2025-06-01T09:20:00.0000000Z", messages[1]["createdAt"]!.GetValue<string>());

        var run = Assert.Single(bundle.Of("run"));
        Assert.Equal(("task-1", "agent-task", "Login form", "succeeded", "sess-1"), (run["id"]!.GetValue<string>(), run["kind"]!.GetValue<string>(), run["name"]!.GetValue<string>(), run["status"]!.GetValue<string>(), run["threadId"]!.GetValue<string>()));
        Assert.Equal("2025-06-01T09:19:00.0000000Z", run["endedAt"]!.GetValue<string>());
        Assert.Equal("LoginForm.tsx", run["metadata"]!["filesModified"]![0]!.GetValue<string>());

        var records = bundle.Of("record").ToDictionary(r => $"{r["collection"]}/{r["id"]}");
        var agent = records["nofx-agents/agent-123"];
        Assert.Equal(5, agent["counters"]!["tasksCompleted"]!.GetValue<long>());
        Assert.Equal("active", agent["status"]!.GetValue<string>());
        Assert.Equal("spawn_agent", records["nofx-orchestration-messages/msg-1"]["data"]!["type"]!.GetValue<string>());
        Assert.Equal("heartbeat", records["nofx-orchestration-messages/messages-2"]["data"]!["type"]!.GetValue<string>());
        Assert.Contains(bundle.Notes, n => n.Contains("agent-123_session.md", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("sessions/x.json", """{"id": "x", "createdAt": "2025-01-01T00:00:00Z"}""", "no 'conversationHistory' array")]
    [InlineData("sessions/x.json", """{"id": "x", "createdAt": "2025-01-01T00:00:00Z", "conversationHistory": [{"type": "thought", "content": "hm"}]}""", "role 'thought'")]
    [InlineData("sessions/x.json", """{"id": "x", "createdAt": "2025-01-01T00:00:00Z", "conversationHistory": [], "tasks": [{"id": "t", "status": "blocked"}]}""", "task status 'blocked'")]
    [InlineData("agents.json", """[{"id": "a"}]""", "expected {\"agents\": [...]}")]
    [InlineData("orchestration/messages.jsonl", "{\"id\": 1}\nnot json\n", "line 2: not JSON")]
    public async Task Nofx_WhatItDoesNotUnderstand_FailsWithThePlace(string relative, string text, string expected)
    {
        Write("ws/.nofx/" + relative, text);
        var error = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new NofxImporter(Path.Combine(scratch.Folder, "ws", ".nofx")), scratch.Folder));
        Assert.Equal(ExitCodes.InputFormat, error.ExitCode);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // ---- Halo (seed 003) ----

    [Fact]
    public async Task Halo_TheAppDatabaseAndTheMemoryFolders_BecomeRecordsAndScopedMemories()
    {
        var halo = Path.Combine(scratch.Folder, "halo");
        Directory.CreateDirectory(halo);
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(halo, "halo.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // § 2.1 _migrations and § 2.2's tables; the seed gives no columns, so these are the kind § 3 describes.
            command.CommandText = """
                CREATE TABLE _migrations (namespace TEXT, version INTEGER, applied_at TEXT, PRIMARY KEY (namespace, version));
                INSERT INTO _migrations VALUES ('scheduler', 1, '2025-01-01T00:00:00Z'), ('app_manager', 2, '2025-01-02T00:00:00Z');
                CREATE TABLE scheduler_jobs (id TEXT PRIMARY KEY, name TEXT, cron TEXT, payload TEXT, enabled INTEGER, created_at TEXT);
                INSERT INTO scheduler_jobs VALUES ('job/1', 'digest', '0 7 * * *', '{"appId":"news"}', 1, '2025-02-01T07:00:00Z');
                CREATE TABLE scheduler_run_log (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT, status TEXT, started_at TEXT, error TEXT);
                INSERT INTO scheduler_run_log (job_id, status, started_at, error) VALUES ('job/1', 'ok', '2025-02-02T07:00:00Z', NULL);
                CREATE TABLE installed_apps (app_id TEXT PRIMARY KEY, spec_json TEXT, status TEXT, user_config TEXT, permissions TEXT, last_run_at TEXT);
                INSERT INTO installed_apps VALUES ('news', '{"name":"News","version":"1.2.0"}', 'active', '{"topics":["ai"]}', '["network"]', NULL);
                CREATE TABLE automation_runs (run_id TEXT PRIMARY KEY, app_id TEXT, status TEXT, tokens INTEGER, started_at TEXT);
                INSERT INTO automation_runs VALUES ('r1', 'news', 'succeeded', 1200, '2025-02-02T07:00:01Z');
                CREATE TABLE activity_entries (app_id TEXT, body TEXT, response TEXT);
                INSERT INTO activity_entries VALUES ('news', 'Need approval to post', '{"approved":true}');
                CREATE TABLE app_cache (k TEXT);
                """;
            command.ExecuteNonQuery();
        }

        Write("halo/user-memory.md", "# About me\nI like short answers.");
        Write("halo/user-memory/projects/garden.md", "Tomatoes in May.");
        Write("halo/spaces/space-1/.halo/memory.md", "Space notes");
        Write("halo/spaces/space-1/apps/news/memory/sources.md", "Prefer primary sources.");

        var bundle = await BundleContent.OfAsync(new HaloImporter(halo), scratch.Folder);
        Assert.Equal("halo", bundle.Manifest.Source.App);
        var records = bundle.Of("record").ToDictionary(r => $"{r["collection"]}/{r["id"]}");
        var job = Assert.Single(records, r => r.Key.StartsWith("halo-scheduler-jobs/", StringComparison.Ordinal)).Value;
        Assert.Matches("^job-1-[0-9a-f]{8}$", job["id"]!.GetValue<string>());
        Assert.Equal("job/1", job["data"]!["_sourceId"]!.GetValue<string>());
        Assert.Equal("news", job["data"]!["payload"]!["appId"]!.GetValue<string>());
        Assert.Equal(1, job["data"]!["enabled"]!.GetValue<long>());
        Assert.Equal("2025-02-01T07:00:00.0000000Z", job["createdAt"]!.GetValue<string>());
        Assert.Equal("ok", records["halo-scheduler-run-log/1"]["status"]!.GetValue<string>());
        Assert.Equal("News", records["halo-installed-apps/news"]["data"]!["spec_json"]!["name"]!.GetValue<string>());
        Assert.Equal(1200, records["halo-automation-runs/r1"]["data"]!["tokens"]!.GetValue<long>());
        Assert.True(records["halo-activity-entries/1"]["data"]!["response"]!["approved"]!.GetValue<bool>());
        Assert.Contains(bundle.Notes, n => n.Contains("scheduler v1", StringComparison.Ordinal) && n.Contains("app_manager v2", StringComparison.Ordinal));
        Assert.Contains(bundle.Notes, n => n.Contains("app_cache", StringComparison.Ordinal));

        var memories = bundle.Of("memory").ToDictionary(m => $"{m["scope"]}|{m["namespace"]}|{m["key"]}", m => m["value"]!.GetValue<string>());
        Assert.Equal("# About me\nI like short answers.", memories["user|halo|memory.md"]);
        Assert.Equal("Tomatoes in May.", memories["user|halo.files.projects|garden.md"]);
        Assert.Equal("Space notes", memories["space:space-1|halo|memory.md"]);
        Assert.Equal("Prefer primary sources.", memories["app:news|halo.files|sources.md"]);
    }

    [Fact]
    public async Task Halo_ADatabaseWithoutMigrations_OrAnEmptyFolder_Fails()
    {
        var halo = Path.Combine(scratch.Folder, "not-halo");
        Directory.CreateDirectory(halo);
        var empty = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new HaloImporter(halo), scratch.Folder));
        Assert.Contains("neither halo.db nor memory files", empty.Message, StringComparison.Ordinal);

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(halo, "halo.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE scheduler_jobs (id TEXT PRIMARY KEY);";
            command.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new HaloImporter(halo), scratch.Folder));
        Assert.Equal(ExitCodes.InputFormat, error.ExitCode);
        Assert.Contains("no _migrations table", error.Message, StringComparison.Ordinal);
    }
}
