using Microsoft.Data.Sqlite;

namespace Serverless.Tests.Cli;

/// <summary>
/// A real side panel bridge database, built by the test from seed 001 ("37-DATA-PERSISTENCE", § "SQLite Schema" and
/// § "Data Migration"): the v3 tables as the seed declares them, a <c>schema_version</c> row, and rows of each.
/// </summary>
public static class SidePanelFixture
{
    /// <summary>§ "SQLite Schema", as the seed writes it (v3: branch columns and analytics included).</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sessions (
          id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, model TEXT NOT NULL,
          provider TEXT DEFAULT 'venice', branch_name TEXT DEFAULT 'main', parent_session_id TEXT REFERENCES sessions(id), branch_point INTEGER,
          prompt_tokens INTEGER DEFAULT 0, completion_tokens INTEGER DEFAULT 0, cost REAL DEFAULT 0,
          is_archived INTEGER DEFAULT 0, is_imported INTEGER DEFAULT 0,
          FOREIGN KEY (parent_session_id) REFERENCES sessions(id));
        CREATE INDEX idx_sessions_updated ON sessions(updated_at DESC);
        CREATE TABLE IF NOT EXISTS messages (
          id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, role TEXT NOT NULL, content TEXT NOT NULL,
          created_at TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, tool_calls TEXT, sequence INTEGER NOT NULL,
          FOREIGN KEY (session_id) REFERENCES sessions(id));
        CREATE INDEX idx_messages_session ON messages(session_id, sequence);
        CREATE TABLE IF NOT EXISTS snapshots (
          id TEXT PRIMARY KEY, timestamp TEXT NOT NULL, type TEXT NOT NULL, trigger TEXT NOT NULL, description TEXT,
          starred INTEGER DEFAULT 0, size_bytes INTEGER NOT NULL, state_json TEXT NOT NULL, summary_json TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS recordings (
          id TEXT PRIMARY KEY, session_id TEXT NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL, duration INTEGER NOT NULL,
          events_json TEXT NOT NULL, snapshots_json TEXT, metadata_json TEXT);
        CREATE TABLE IF NOT EXISTS analytics (
          id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, event_type TEXT NOT NULL, session_id TEXT, model TEXT,
          prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL, duration_ms INTEGER, metadata_json TEXT);
        """;

    /// <summary>A long assistant answer (over the bundle's inline limit, so it travels as a blob file).</summary>
    public static readonly string LongAnswer = string.Concat(Enumerable.Repeat("A long answer about rivers. ", 800));

    /// <summary>Creates the database with two sessions (one a branch, archived), five messages, a snapshot, a recording and two analytics rows.</summary>
    public static string Create(string folder, int version = 3, string? extraSql = null)
    {
        var path = Path.Combine(folder, $"sidepanel-{Guid.NewGuid():N}.db");
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, Schema);
        Execute(connection, $"INSERT INTO schema_version (id, version) VALUES (1, {version});");
        Execute(connection, """
            INSERT INTO sessions (id, title, created_at, updated_at, model, provider, prompt_tokens, completion_tokens, cost)
              VALUES ('s-1', 'Trip planning', '2025-03-01T10:00:00.000Z', '2025-03-01T10:05:00.000Z', 'llama-3.3-70b', 'venice', 120, 300, 0.0123);
            INSERT INTO sessions (id, title, created_at, updated_at, model, branch_name, parent_session_id, branch_point, is_archived)
              VALUES ('s.2 branch', 'Trip planning (alt)', '2025-03-02 08:00:00', '2025-03-02 08:30:00', 'qwen', 'alt', 's-1', 1, 1);
            INSERT INTO messages (id, session_id, role, content, created_at, prompt_tokens, completion_tokens, tool_calls, sequence) VALUES
              ('m-1', 's-1', 'user', 'Plan a trip to Lyon', '2025-03-01T10:00:01.000Z', NULL, NULL, NULL, 0),
              ('m-2', 's-1', 'assistant', 'Let me look that up.', '2025-03-01T10:00:03.000Z', 120, 40, '[{"id":"call_1","type":"function","function":{"name":"search","arguments":"{\"q\":\"Lyon\"}"}}]', 1),
              ('m-3', 's-1', 'tool', '{"results":3}', '2025-03-01T10:00:04.000Z', NULL, NULL, NULL, 2),
              ('m-4', 's-1', 'assistant', $long, '2025-03-01T10:00:09.000Z', 0, 260, NULL, 5),
              ('m-5', 's.2 branch', 'user', 'What about Annecy?', '2025-03-02T08:00:05.000Z', NULL, NULL, NULL, 7);
            INSERT INTO snapshots (id, timestamp, type, trigger, description, starred, size_bytes, state_json, summary_json)
              VALUES ('snap-1', '2025-03-01T10:06:00.000Z', 'manual', '{"reason":"user"}', 'before refactor', 1, 42, '{"view":"chat","sessionId":"s-1"}', '{"messages":4}');
            INSERT INTO recordings (id, session_id, title, created_at, duration, events_json, snapshots_json, metadata_json)
              VALUES ('rec-1', 's-1', 'Demo run', '2025-03-01T10:07:00.000Z', 65000, '[{"t":0,"type":"click"}]', NULL, '{"fps":30}');
            INSERT INTO analytics (timestamp, event_type, session_id, model, prompt_tokens, completion_tokens, cost, duration_ms, metadata_json) VALUES
              ('2025-03-01T10:00:03.000Z', 'completion', 's-1', 'llama-3.3-70b', 120, 40, 0.004, 2100, '{"stream":true}'),
              ('2025-03-01T10:09:00.000Z', 'Session End', 's-1', NULL, NULL, NULL, NULL, NULL, NULL);
            """.Replace("$long", "'" + LongAnswer + "'", StringComparison.Ordinal));
        if (extraSql is not null)
        {
            Execute(connection, extraSql);
        }

        return path;
    }

    /// <summary>The <c>exportAll()</c> JSON of § "LocalStorage Service": the <c>sidepanel.*</c> keys with their parsed values.</summary>
    public static string LocalStorage(string folder, string? json = null)
    {
        var path = Path.Combine(folder, $"sidepanel-localstorage-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json ?? """
            {
              "sidepanel.settings": {"version": 2, "defaultModel": "llama-3.3-70b", "notifications": {"sound": false}, "keyboard": {"send": "mod+enter"}},
              "sidepanel.theme": "dark",
              "sidepanel.ui.sidebarCollapsed": true,
              "sidepanel.recent.sessions": ["s-1", "s.2 branch"],
              "sidepanel.recent.searches": ["lyon"],
              "sidepanel.auth.token": "sk-old-app-token",
              "sidepanel.tour.completed": true
            }
            """);
        File.SetLastWriteTimeUtc(path, new DateTime(2025, 3, 3, 12, 0, 0, DateTimeKind.Utc));
        return path;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
