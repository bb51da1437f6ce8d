using System.Text;
using System.Text.Json.Nodes;

namespace Serverless.Cli.Importers;

/// <summary>
/// The side panel's data (seed 001, "37-DATA-PERSISTENCE"): the bridge's SQLite database (§ "SQLite Schema":
/// <c>sessions</c>, <c>messages</c>, <c>snapshots</c>, <c>recordings</c>, <c>analytics</c>; § "Data Migration ›
/// Version Tracking": <c>schema_version</c>, v1-v3) and the browser's <c>exportAll()</c> JSON (§ "LocalStorage
/// Service": an object of <c>sidepanel.*</c> keys and their parsed values). Paths are told apart by content: a
/// file starting with the SQLite header is the database, anything else must be the localStorage JSON.
/// </summary>
/// <remarks>
/// Mapping (README, "Importers"): sessions → <c>thread</c>; messages → <c>message</c> (renumbered 1, 2, … per
/// session in <c>sequence</c> order); snapshots and recordings → <c>artifact</c> (kinds <c>snapshot</c> and
/// <c>recording</c>, the row as a JSON document); analytics → <c>event</c>; localStorage keys → <c>setting</c> in
/// namespace <c>sidepanel</c> (except <c>auth.token</c>, the old app's credential, and <c>crash.recovery</c>, transient).
/// </remarks>
public sealed class SidePanelImporter(IReadOnlyList<string> paths) : IAppImporter
{
    /// <summary>The newest <c>schema_version</c> the importer knows (seed 001: <c>SCHEMA_VERSION = 3</c>).</summary>
    public const int KnownSchemaVersion = 3;

    /// <summary>The settings namespace the localStorage keys go to.</summary>
    public const string SettingsNamespace = "sidepanel";

    private const string Prefix = "sidepanel.";

    private static readonly string[] SessionColumns = ["id", "title", "created_at", "updated_at", "model"];
    private static readonly string[] SessionOptional = ["provider", "branch_name", "parent_session_id", "branch_point", "prompt_tokens", "completion_tokens", "cost", "is_archived", "is_imported"];
    private static readonly string[] MessageColumns = ["id", "session_id", "role", "content", "created_at", "sequence"];
    private static readonly string[] MessageOptional = ["prompt_tokens", "completion_tokens", "tool_calls"];
    private static readonly string[] SnapshotColumns = ["id", "timestamp", "type", "trigger", "size_bytes", "state_json", "summary_json"];
    private static readonly string[] SnapshotOptional = ["description", "starred"];
    private static readonly string[] RecordingColumns = ["id", "session_id", "title", "created_at", "duration", "events_json"];
    private static readonly string[] RecordingOptional = ["snapshots_json", "metadata_json"];
    private static readonly string[] AnalyticsColumns = ["id", "timestamp", "event_type"];
    private static readonly string[] AnalyticsOptional = ["session_id", "model", "prompt_tokens", "completion_tokens", "cost", "duration_ms", "metadata_json"];

    /// <summary>Tables the seed lists without a schema (§ "What Goes Where": session-lifetime data): left out with a note.</summary>
    private static readonly string[] SessionLifetimeTables = ["file_changes", "proofs"];

    /// <inheritdoc/>
    public string App => "sidepanel";

    /// <inheritdoc/>
    public async Task WriteAsync(BundleBuilder bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var databases = paths.Where(IsSqlite).ToList();
        var storage = paths.Except(databases).ToList();
        if (databases.Count > 1 || storage.Count > 1 || paths.Count == 0)
        {
            throw new CliException(ExitCodes.Usage, "usage", "--from sidepanel takes the bridge's SQLite file and/or the exportAll() JSON file, at most one of each.");
        }

        if (databases.Count == 1)
        {
            using var db = SqliteSource.Open(databases[0]);
            CheckVersion(db);
            await SessionsAsync(db, bundle, cancellationToken);
            await MessagesAsync(db, bundle, cancellationToken);
            await using var artifacts = bundle.Kind("artifact");
            await SnapshotsAsync(db, bundle, artifacts, cancellationToken);
            await RecordingsAsync(db, bundle, artifacts, cancellationToken);
            await artifacts.CompleteAsync(cancellationToken);
            await AnalyticsAsync(db, bundle, cancellationToken);
            foreach (var table in db.Tables().Except(["sessions", "messages", "snapshots", "recordings", "analytics", "schema_version"], StringComparer.Ordinal))
            {
                var rows = (long)db.Scalar($"SELECT count(*) FROM {SqliteSource.Quote(table)}")!;
                bundle.Note("-", $"{db.Path}: table {table}", SessionLifetimeTables.Contains(table, StringComparer.Ordinal)
                    ? $"left out ({rows} rows): session-lifetime data the seed gives no schema for"
                    : $"left out ({rows} rows): not a table of the side panel's schema");
            }
        }

        if (storage.Count == 1)
        {
            await LocalStorageAsync(storage[0], bundle, cancellationToken);
        }
    }

    /// <summary>Whether a file starts with the SQLite header.</summary>
    private static bool IsSqlite(string path)
    {
        if (!File.Exists(path))
        {
            throw ImportValues.NotUnderstood(path, "no such file.");
        }

        using var file = File.OpenRead(path);
        var header = new byte[16];
        return file.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && Encoding.ASCII.GetString(header) == "SQLite format 3\0";
    }

    /// <summary>Refuses a database without <c>schema_version</c>, or newer than the importer knows (§ "Version Tracking").</summary>
    private static void CheckVersion(SqliteSource db)
    {
        if (!db.HasTable("schema_version") || db.Scalar("SELECT max(version) FROM schema_version") is not long version)
        {
            throw ImportValues.NotUnderstood(db.Path, "no schema_version row: not a side panel bridge database (its migrations always write one).");
        }

        if (version is < 1 or > KnownSchemaVersion)
        {
            throw ImportValues.NotUnderstood(db.Path, $"schema_version {version} is not one the importer knows (1 to {KnownSchemaVersion}).");
        }

        if (!db.HasTable("sessions") || !db.HasTable("messages"))
        {
            throw ImportValues.NotUnderstood(db.Path, "no sessions or messages table.");
        }
    }

    private static async Task SessionsAsync(SqliteSource db, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        db.CheckColumns("sessions", SessionColumns, SessionOptional);
        await using var threads = bundle.Kind("thread");
        foreach (var row in db.Rows("sessions", "created_at, id", v => $"id={v["id"]}"))
        {
            var id = row.Required("id");
            var title = row.Required("title");
            if (title.Length > 512)
            {
                bundle.Note("thread", row.Source, "title cut to 512 characters");
                title = title[..512];
            }

            var metadata = new JsonObject
            {
                ["source"] = "sidepanel",
                ["model"] = row.Text("model"),
                ["provider"] = row.Text("provider"),
                ["branchName"] = row.Text("branch_name"),
                ["parentSessionId"] = row.Text("parent_session_id"),
                ["branchPoint"] = row.Whole("branch_point"),
                ["promptTokens"] = row.Whole("prompt_tokens"),
                ["completionTokens"] = row.Whole("completion_tokens"),
                ["cost"] = row.Real("cost"),
                ["imported"] = row.Whole("is_imported") is 1,
            };
            if (ImportValues.ResourceId(id) != id)
            {
                metadata["sessionId"] = id;
            }

            await threads.AddAsync(
                new JsonObject
                {
                    ["id"] = ImportValues.ResourceId(id),
                    ["title"] = title,
                    ["metadata"] = WithoutNulls(metadata),
                    ["archived"] = row.Whole("is_archived") is 1,
                    ["createdAt"] = ImportValues.Timestamp(row.Required("created_at"), row.Source + " created_at"),
                    ["updatedAt"] = ImportValues.Timestamp(row.Required("updated_at"), row.Source + " updated_at"),
                },
                row.Source,
                cancellationToken);
        }

        await threads.CompleteAsync(cancellationToken);
    }

    private static async Task MessagesAsync(SqliteSource db, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        db.CheckColumns("messages", MessageColumns, MessageOptional);
        var sessions = db.Rows("sessions", "id", v => string.Empty).Select(r => r.Required("id")).ToHashSet(StringComparer.Ordinal);
        await using var messages = bundle.Kind("message");
        string? session = null;
        long sequence = 0;
        foreach (var row in db.Rows("messages", "session_id, sequence, created_at, id", v => $"id={v["id"]}"))
        {
            var sessionId = row.Required("session_id");
            if (!sessions.Contains(sessionId))
            {
                bundle.Note("message", row.Source, $"left out: its session {sessionId} does not exist");
                continue;
            }

            sequence = sessionId == session ? sequence + 1 : 1;
            session = sessionId;
            var role = row.Required("role");
            if (!ImportValues.Roles.Contains(role))
            {
                throw ImportValues.NotUnderstood(row.Source, $"role '{role}' is not one of {string.Join(", ", ImportValues.Roles)}.");
            }

            var id = row.Required("id");
            var metadata = new JsonObject();
            if (row.Whole("sequence") is { } original && original != sequence)
            {
                metadata["sequence"] = original;
            }

            var line = new JsonObject
            {
                ["threadId"] = ImportValues.ResourceId(sessionId),
                ["sequence"] = sequence,
                ["role"] = role,
                ["promptTokens"] = row.Whole("prompt_tokens"),
                ["completionTokens"] = row.Whole("completion_tokens"),
                ["createdAt"] = ImportValues.Timestamp(row.Required("created_at"), row.Source + " created_at"),
            };
            if (ImportValues.IsMessageId(id))
            {
                line["id"] = id;
            }
            else
            {
                metadata["messageId"] = id;
            }

            await messages.SetTextAsync(line, "content", row.Required("content"), cancellationToken);
            if (ImportValues.JsonColumn(row.Text("tool_calls"), row.Source + " tool_calls") is { } toolCalls)
            {
                if (toolCalls is not (JsonArray or JsonObject))
                {
                    throw ImportValues.NotUnderstood(row.Source + " tool_calls", "expected a JSON array (or object) of tool calls.");
                }

                line["toolCalls"] = toolCalls;
            }

            if (metadata.Count > 0)
            {
                line["metadata"] = metadata;
            }

            await messages.AddAsync(WithoutNulls(line), row.Source, cancellationToken);
        }

        await messages.CompleteAsync(cancellationToken);
    }

    private static async Task SnapshotsAsync(SqliteSource db, BundleBuilder bundle, BundleBuilder.KindLines artifacts, CancellationToken cancellationToken)
    {
        if (!db.HasTable("snapshots"))
        {
            return;
        }

        db.CheckColumns("snapshots", SnapshotColumns, SnapshotOptional);
        foreach (var row in db.Rows("snapshots", "timestamp, id", v => $"id={v["id"]}"))
        {
            var id = row.Required("id");
            var document = new JsonObject
            {
                ["id"] = id,
                ["timestamp"] = row.Required("timestamp"),
                ["type"] = row.Required("type"),
                ["trigger"] = ImportValues.JsonColumn(row.Required("trigger"), row.Source + " trigger"),
                ["description"] = row.Text("description"),
                ["starred"] = row.Whole("starred") is 1,
                ["sizeBytes"] = row.Whole("size_bytes"),
                ["state"] = ImportValues.JsonColumn(row.Required("state_json"), row.Source + " state_json"),
                ["summary"] = ImportValues.JsonColumn(row.Required("summary_json"), row.Source + " summary_json"),
            };
            await artifacts.AddAsync(
                new JsonObject
                {
                    ["id"] = ImportValues.ResourceId("snapshot-" + id),
                    ["kind"] = "snapshot",
                    ["name"] = $"snapshot-{id}.json",
                    ["contentType"] = "application/json",
                    ["contentFile"] = await artifacts.AddBlobAsync(Encoding.UTF8.GetBytes(document.ToJsonString()), cancellationToken),
                    ["starred"] = row.Whole("starred") is 1,
                    ["createdAt"] = ImportValues.Timestamp(row.Required("timestamp"), row.Source + " timestamp"),
                },
                row.Source,
                cancellationToken);
        }
    }

    private static async Task RecordingsAsync(SqliteSource db, BundleBuilder bundle, BundleBuilder.KindLines artifacts, CancellationToken cancellationToken)
    {
        if (!db.HasTable("recordings"))
        {
            return;
        }

        db.CheckColumns("recordings", RecordingColumns, RecordingOptional);
        foreach (var row in db.Rows("recordings", "created_at, id", v => $"id={v["id"]}"))
        {
            var id = row.Required("id");
            var document = new JsonObject
            {
                ["id"] = id,
                ["sessionId"] = row.Required("session_id"),
                ["title"] = row.Required("title"),
                ["createdAt"] = row.Required("created_at"),
                ["duration"] = row.Whole("duration"),
                ["events"] = ImportValues.JsonColumn(row.Required("events_json"), row.Source + " events_json"),
                ["snapshots"] = ImportValues.JsonColumn(row.Text("snapshots_json"), row.Source + " snapshots_json"),
                ["metadata"] = ImportValues.JsonColumn(row.Text("metadata_json"), row.Source + " metadata_json"),
            };
            var title = new string(row.Required("title").Where(c => !char.IsControl(c)).ToArray());
            await artifacts.AddAsync(
                new JsonObject
                {
                    ["id"] = ImportValues.ResourceId("recording-" + id),
                    ["kind"] = "recording",
                    ["name"] = title.Length is > 0 and <= 255 ? title : $"recording-{id}",
                    ["contentType"] = "application/json",
                    ["contentFile"] = await artifacts.AddBlobAsync(Encoding.UTF8.GetBytes(document.ToJsonString()), cancellationToken),
                    ["parent"] = "thread:" + ImportValues.ResourceId(row.Required("session_id")),
                    ["createdAt"] = ImportValues.Timestamp(row.Required("created_at"), row.Source + " created_at"),
                },
                row.Source,
                cancellationToken);
        }
    }

    private static async Task AnalyticsAsync(SqliteSource db, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        if (!db.HasTable("analytics"))
        {
            return;
        }

        db.CheckColumns("analytics", AnalyticsColumns, AnalyticsOptional);
        await using var events = bundle.Kind("event");
        foreach (var row in db.Rows("analytics", "id", v => $"id={v["id"]}"))
        {
            var eventType = row.Required("event_type");
            var properties = ImportValues.AsObject(ImportValues.JsonColumn(row.Text("metadata_json"), row.Source + " metadata_json")) ?? [];
            var type = ImportValues.Name(eventType, row.Source + " event_type");
            if (type != eventType)
            {
                properties["eventType"] = eventType;
            }

            await events.AddAsync(
                WithoutNulls(new JsonObject
                {
                    ["id"] = "sidepanel-analytics-" + row.Required("id"),
                    ["type"] = type,
                    ["time"] = ImportValues.Timestamp(row.Required("timestamp"), row.Source + " timestamp"),
                    ["properties"] = properties.Count > 0 ? properties : null,
                    ["model"] = row.Text("model"),
                    ["promptTokens"] = row.Whole("prompt_tokens"),
                    ["completionTokens"] = row.Whole("completion_tokens"),
                    ["cost"] = row.Real("cost"),
                    ["durationMs"] = row.Whole("duration_ms"),
                    ["threadId"] = row.Text("session_id") is { } session ? ImportValues.ResourceId(session) : null,
                }),
                row.Source,
                cancellationToken);
        }

        await events.CompleteAsync(cancellationToken);
    }

    /// <summary>§ "LocalStorage Service": <c>exportAll()</c> returns <c>{"sidepanel.{name}": value}</c> for every key under the prefix.</summary>
    private static async Task LocalStorageAsync(string path, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        if (ImportValues.ReadJsonFile(path) is not JsonObject keys)
        {
            throw ImportValues.NotUnderstood(path, "expected the JSON object exportAll() returns ({\"sidepanel.settings\": …, …}).");
        }

        // The file's time: exportAll() records none, and the same file must give the same bundle (imports are idempotent).
        var updatedAt = Serverless.Bundles.BundleFormat.Timestamp(File.GetLastWriteTimeUtc(path));
        await using var settings = bundle.Kind("setting");
        foreach (var (key, value) in keys)
        {
            var source = $"{path}: {key}";
            if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                throw ImportValues.NotUnderstood(source, "not a sidepanel.* key: exportAll() writes only those.");
            }

            var name = key[Prefix.Length..];
            if (name is "auth.token" or "crash.recovery")
            {
                bundle.Note("setting", source, name == "auth.token" ? "left out: the old app's API token, not data" : "left out: transient crash-recovery state");
                continue;
            }

            await settings.AddAsync(
                new JsonObject { ["namespace"] = SettingsNamespace, ["key"] = ImportValues.SettingName(name, source), ["value"] = value?.DeepClone(), ["updatedAt"] = updatedAt },
                source,
                cancellationToken);
        }

        await settings.CompleteAsync(cancellationToken);
    }

    /// <summary>Drops members whose value is null (absent and null mean the same in bundles; absent is shorter).</summary>
    internal static JsonObject WithoutNulls(JsonObject node)
    {
        foreach (var name in node.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            node.Remove(name);
        }

        return node;
    }
}
