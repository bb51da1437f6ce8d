using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Cli.Importers;

/// <summary>
/// NofX's <c>.nofx/</c> folder (seed 004, "PERSISTENCE_AUDIT"): § 1.1 <c>agents.json</c> (<c>{"agents": [{id, name,
/// status, tasksCompleted}]}</c>, § 2.1), § 1.2 <c>sessions/{sessionId}.json</c> and <c>archives/{sessionId}.json</c>
/// (an <c>AgentSession</c>: agent fields, <c>conversationHistory[]</c>, tasks, template; § 2.1, § 3.1), § 1.3
/// <c>orchestration/messages.jsonl</c> (one JSON message per line, plus rolled files). The seed names the structures
/// but not every field: the shapes assumed are in the README ("Importers", NofX).
/// </summary>
/// <param name="root">The workspace folder holding <c>.nofx/</c>, or the <c>.nofx</c> folder itself.</param>
public sealed class NofxImporter(string root) : IAppImporter
{
    /// <summary>The records collection of agents.</summary>
    public const string AgentsCollection = "nofx-agents";

    /// <summary>The records collection of orchestration messages.</summary>
    public const string MessagesCollection = "nofx-orchestration-messages";

    /// <summary>Task statuses and the run status each maps onto (runs: queued, running, succeeded, failed, cancelled).</summary>
    private static readonly Dictionary<string, string> TaskStatuses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pending"] = "queued", ["queued"] = "queued", ["assigned"] = "queued",
        ["in_progress"] = "running", ["in-progress"] = "running", ["running"] = "running", ["active"] = "running",
        ["completed"] = "succeeded", ["complete"] = "succeeded", ["done"] = "succeeded", ["succeeded"] = "succeeded", ["success"] = "succeeded",
        ["failed"] = "failed", ["error"] = "failed",
        ["cancelled"] = "cancelled", ["canceled"] = "cancelled",
    };

    /// <summary>Conversation roles (or <c>type</c>s) and the message role each maps onto.</summary>
    private static readonly Dictionary<string, string> Roles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["user"] = "user", ["human"] = "user",
        ["assistant"] = "assistant", ["agent"] = "assistant", ["claude"] = "assistant",
        ["system"] = "system",
        ["tool"] = "tool",
    };

    /// <inheritdoc/>
    public string App => "nofx";

    /// <inheritdoc/>
    public async Task WriteAsync(BundleBuilder bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(root)) == ".nofx" ? root : Path.Combine(root, ".nofx");
        if (!Directory.Exists(folder))
        {
            throw ImportValues.NotUnderstood(root, "no .nofx folder here (give the workspace folder or its .nofx folder).");
        }

        await using var records = bundle.Kind("record");
        var agents = Path.Combine(folder, "agents.json");
        if (File.Exists(agents))
        {
            await AgentsAsync(agents, records, cancellationToken);
        }

        await using var threads = bundle.Kind("thread");
        await using var messages = bundle.Kind("message");
        await using var runs = bundle.Kind("run");
        foreach (var (sub, archived) in new[] { ("sessions", false), ("archives", true) })
        {
            var dir = Path.Combine(folder, sub);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            {
                if (Path.GetExtension(file) == ".json")
                {
                    await SessionAsync(file, archived, bundle, threads, messages, runs, cancellationToken);
                }
                else
                {
                    bundle.Note("-", file, file.EndsWith("_session.md", StringComparison.Ordinal)
                        ? "left out: AgentPersistence's markdown copy of a conversation (§ 2.2: the JSON sessions hold it structured)"
                        : "left out: not a session file");
                }
            }
        }

        var orchestration = Path.Combine(folder, "orchestration");
        if (Directory.Exists(orchestration))
        {
            foreach (var file in Directory.EnumerateFiles(orchestration, "messages*.jsonl").Order(StringComparer.Ordinal))
            {
                await OrchestrationAsync(file, records, cancellationToken);
            }
        }

        await records.CompleteAsync(cancellationToken);
        await threads.CompleteAsync(cancellationToken);
        await messages.CompleteAsync(cancellationToken);
        await runs.CompleteAsync(cancellationToken);
    }

    /// <summary>§ 2.1: <c>{"agents": [{id, name, status, tasksCompleted, …}]}</c> → records (status, counter <c>tasksCompleted</c>).</summary>
    private static async Task AgentsAsync(string path, BundleBuilder.KindLines records, CancellationToken cancellationToken)
    {
        if ((ImportValues.ReadJsonFile(path) as JsonObject)?["agents"] is not JsonArray list)
        {
            throw ImportValues.NotUnderstood(path, "expected {\"agents\": [...]}.");
        }

        var index = 0;
        foreach (var item in list)
        {
            var source = $"{path}: agents[{index++}]";
            if (item is not JsonObject agent || ImportValues.Text(agent, "id") is not { } id)
            {
                throw ImportValues.NotUnderstood(source, "expected an agent object with a string 'id'.");
            }

            var data = JsonLines.Without(agent, "tasksCompleted");
            if (ImportValues.ResourceId(id) != id)
            {
                data["agentId"] = id;
            }

            await records.AddAsync(
                SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["collection"] = AgentsCollection,
                    ["id"] = ImportValues.ResourceId(id),
                    ["data"] = data,
                    ["status"] = ImportValues.Text(agent, "status"),
                    ["counters"] = ImportValues.Whole(agent, "tasksCompleted") is { } done ? new JsonObject { ["tasksCompleted"] = done } : null,
                }),
                source,
                cancellationToken);
        }
    }

    /// <summary>
    /// An <c>AgentSession</c>: id from <c>id</c>/<c>sessionId</c> (else the file name), <c>agentId</c>, <c>agentName</c>,
    /// times <c>createdAt</c>/<c>startTime</c>, <c>conversationHistory[]</c> (<c>{role|type, content, timestamp}</c>),
    /// <c>tasks[]</c> (<c>{id, title|description, status, startedAt|startTime, completedAt|endTime}</c>). The template
    /// is kept by its id only (§ 3.1: it repeats in every session).
    /// </summary>
    private static async Task SessionAsync(string path, bool archived, BundleBuilder bundle, BundleBuilder.KindLines threads, BundleBuilder.KindLines messages, BundleBuilder.KindLines runs, CancellationToken cancellationToken)
    {
        if (ImportValues.ReadJsonFile(path) is not JsonObject session)
        {
            throw ImportValues.NotUnderstood(path, "expected a session object.");
        }

        if (session["conversationHistory"] is not JsonArray history)
        {
            throw ImportValues.NotUnderstood(path, "no 'conversationHistory' array: not a SessionPersistenceService session (a checkpoint file?).");
        }

        var id = ImportValues.Text(session, "id") ?? ImportValues.Text(session, "sessionId") ?? Path.GetFileNameWithoutExtension(path);
        var threadId = ImportValues.ResourceId(id);
        var createdAt = JsonLines.TimeOf(session, path, "createdAt", "startTime", "startedAt")
            ?? throw ImportValues.NotUnderstood(path, "no creation time (createdAt or startTime).");
        var metadata = JsonLines.Without(session, "id", "sessionId", "conversationHistory", "tasks", "template", "createdAt", "startTime", "startedAt", "agentName");
        metadata["source"] = "nofx";
        if (session["template"] is JsonObject template && ImportValues.Text(template, "id") is { } templateId)
        {
            metadata["templateId"] = templateId;
        }

        if (threadId != id)
        {
            metadata["sessionId"] = id;
        }

        var title = ImportValues.Text(session, "agentName") ?? ImportValues.Text(session, "agentId");
        await threads.AddAsync(
            SidePanelImporter.WithoutNulls(new JsonObject
            {
                ["id"] = threadId,
                ["title"] = title is { Length: > 512 } ? title[..512] : title,
                ["metadata"] = ImportValues.FitMetadata(metadata, bundle, "thread", path),
                ["archived"] = archived,
                ["createdAt"] = createdAt,
                ["updatedAt"] = JsonLines.TimeOf(session, path, "lastActivity", "updatedAt"),
            }),
            path,
            cancellationToken);

        long sequence = 0;
        foreach (var entry in history)
        {
            var at = $"{path}: conversationHistory[{sequence}]";
            if (entry is not JsonObject message)
            {
                throw ImportValues.NotUnderstood(at, "expected a message object.");
            }

            sequence++;
            var said = ImportValues.Text(message, "role") ?? ImportValues.Text(message, "type") ?? throw ImportValues.NotUnderstood(at, "no 'role' or 'type'.");
            var role = Roles.TryGetValue(said, out var mapped) ? mapped : throw ImportValues.NotUnderstood(at, $"role '{said}' is not one the importer maps ({string.Join(", ", Roles.Keys)}).");
            await messages.AddAsync(await JsonLines.MessageAsync(bundle, messages, message, threadId, sequence, role, createdAt, at, cancellationToken), at, cancellationToken);
        }

        if (session["tasks"] is JsonArray tasks)
        {
            var n = 0;
            foreach (var item in tasks)
            {
                var at = $"{path}: tasks[{n++}]";
                if (item is not JsonObject task || ImportValues.Text(task, "id") is not { } taskId)
                {
                    throw ImportValues.NotUnderstood(at, "expected a task object with a string 'id'.");
                }

                var said = ImportValues.Text(task, "status") ?? "pending";
                var status = TaskStatuses.TryGetValue(said, out var s) ? s : throw ImportValues.NotUnderstood(at, $"task status '{said}' is not one the importer maps ({string.Join(", ", TaskStatuses.Keys)}).");
                var name = ImportValues.Text(task, "title") ?? ImportValues.Text(task, "description") ?? taskId;
                var taskMetadata = JsonLines.Without(task, "id", "title", "status", "startedAt", "startTime", "completedAt", "endTime", "createdAt");
                if (ImportValues.ResourceId(taskId) != taskId)
                {
                    taskMetadata["taskId"] = taskId;
                }

                var started = JsonLines.TimeOf(task, at, "startedAt", "startTime");
                await runs.AddAsync(
                    SidePanelImporter.WithoutNulls(new JsonObject
                    {
                        ["id"] = ImportValues.ResourceId(taskId),
                        ["kind"] = "agent-task",
                        ["name"] = name.Length > 200 ? name[..200] : name,
                        ["status"] = status,
                        ["threadId"] = threadId,
                        ["metadata"] = taskMetadata.Count > 0 ? ImportValues.FitMetadata(taskMetadata, bundle, "run", at) : null,
                        ["startedAt"] = started,
                        ["endedAt"] = JsonLines.TimeOf(task, at, "completedAt", "endTime"),
                        ["createdAt"] = JsonLines.TimeOf(task, at, "createdAt") ?? started ?? createdAt,
                    }),
                    at,
                    cancellationToken);
            }
        }
    }

    /// <summary>§ 1.3: one JSON object per line → a record each (id: the message's <c>id</c>, else <c>{file}-{line}</c>).</summary>
    private static async Task OrchestrationAsync(string path, BundleBuilder.KindLines records, CancellationToken cancellationToken)
    {
        var number = 0;
        foreach (var text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var at = $"{path}: line {number}";
            JsonObject message;
            try
            {
                message = JsonNode.Parse(text) as JsonObject ?? throw ImportValues.NotUnderstood(at, "not a JSON object.");
            }
            catch (JsonException e)
            {
                throw ImportValues.NotUnderstood(at, $"not JSON ({e.Message}).");
            }

            var id = ImportValues.Text(message, "id") ?? $"{Path.GetFileNameWithoutExtension(path)}-{number}";
            await records.AddAsync(
                SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["collection"] = MessagesCollection,
                    ["id"] = ImportValues.ResourceId(id),
                    ["data"] = message,
                    ["createdAt"] = JsonLines.TimeOf(message, at, "timestamp", "createdAt", "time"),
                }),
                at,
                cancellationToken);
        }
    }
}
