using Azure.Data.Tables;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Autosave;
using Serverless.Storage.Conversations;
using Serverless.Storage.Missions;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// The registry of every kind of user data: each RowKey prefix of <see cref="UserRowKeys"/> is one
/// <see cref="UserDataKind"/>, each blob folder of <see cref="UserBlobNames"/> one <see cref="BlobFolderKind"/>.
/// A test fails when the code writes a row or blob that belongs to no kind listed here, so adding a kind of data
/// means adding it here, and retention, erasure, usage, integrity and migrations then cover it.
/// </summary>
public static class UserDataKinds
{
    /// <summary>Settings: <c>setting|{namespace}|{key}</c>, one JSON value each.</summary>
    public static UserDataKind Setting { get; } = new("setting", UserRowKeys.Setting, "settings (JSON values by namespace and key)", []);

    /// <summary>Idempotency records: <c>idem|{operation}|{key}</c>, the first response to a key, kept 24 h.</summary>
    public static UserDataKind Idempotency { get; } = new("idempotency", UserRowKeys.Idempotency, "idempotency records (first responses, kept 24 h)", []);

    /// <summary>Threads: <c>thread|{id}</c>, with counters, lineage and the deleted mark.</summary>
    public static UserDataKind Thread { get; } = new("thread", UserRowKeys.Thread, "threads", []);

    /// <summary>Thread activity rows: <c>recent|{invertedTicks}|{id}</c>, copies of thread rows ordered by activity.</summary>
    public static UserDataKind ThreadActivity { get; } = new("thread.activity", UserRowKeys.Recent, "thread list rows by activity", []);

    /// <summary>Thread creation rows: <c>created|{invertedTicks}|{id}</c>, the list filters' flags ordered by creation.</summary>
    public static UserDataKind ThreadCreation { get; } = new("thread.creation", UserRowKeys.Created, "thread list rows by creation", []);

    /// <summary>Messages: <c>msg|{threadId}|{seq}</c>; long content and tool calls are blobs in the thread's folder.</summary>
    public static UserDataKind Message { get; } = new(
        "message", UserRowKeys.Message, "messages (row, and offloaded texts)",
        [.. PayloadColumnsOf(MessageEntities.Content), .. PayloadColumnsOf(MessageEntities.ToolCalls)],
        (_, row) => UserDataKind.PayloadReferences(row, "message", MessageEntities.Content, MessageEntities.ToolCalls));

    /// <summary>Client message ids: <c>msgid|{threadId}|{clientId}</c>, which make appends idempotent.</summary>
    public static UserDataKind ClientMessageId { get; } = new("message.clientId", UserRowKeys.MessageId, "client message ids", []);

    /// <summary>Archive segments: <c>seg|{threadId}|{lastSeq}</c>, each naming one blob of sealed messages and the texts they reference.</summary>
    public static UserDataKind Segment { get; } = new(
        "segment", UserRowKeys.Segment, "archive segments (index row and sealed messages' blob)",
        ArchiveSegments.ReferenceColumns,
        (user, row) => SegmentReferences(user, row));

    /// <summary>Summaries: <c>summary|{threadId}</c>.</summary>
    public static UserDataKind Summary { get; } = new("summary", UserRowKeys.Summary, "thread summaries", []);

    /// <summary>Missions: <c>mission|{id}</c>.</summary>
    public static UserDataKind Mission { get; } = new("mission", UserRowKeys.Mission, "missions (scheduled webhooks)", []);

    /// <summary>Mission runs: <c>mrun|{missionId}|{invertedTicks}|{attempt}</c>; long response bodies are blobs in the mission's folder.</summary>
    public static UserDataKind MissionRun { get; } = new(
        "mission.run", UserRowKeys.MissionRun, "mission run log (row, and stored response bodies)",
        [.. PayloadColumnsOf(MissionStore.ResponseColumns)],
        (_, row) => UserDataKind.PayloadReferences(row, "mission.run", MissionStore.ResponseColumns));

    /// <summary>
    /// Artifacts: <c>artifact|{id}</c>, their list index copies (<c>artifact|~kind|…</c>, <c>artifact|~parent|…</c>, which carry
    /// the same columns and expiry) and the upload reservations row <c>artifact|~quota</c>; content blobs in the artifact's folder.
    /// </summary>
    public static UserDataKind Artifact { get; } = new(
        "artifact", UserRowKeys.Artifact, "artifacts (rows, list index copies, upload reservations; content blobs)",
        [.. PayloadColumnsOf(ArtifactEntities.ContentColumns)],
        (_, row) => UserDataKind.PayloadReferences(row, "artifact", ArtifactEntities.ContentColumns));

    /// <summary>Crash-recovery autosave slots: <c>autosave|{slot}</c>, the latest state inline, or in the slot's folder when it does not fit.</summary>
    public static UserDataKind Autosave { get; } = new(
        "autosave", UserRowKeys.Autosave, "autosave slots (latest state, inline or a blob)",
        [.. PayloadColumnsOf(AutosaveStore.StateColumns)],
        (_, row) => UserDataKind.PayloadReferences(row, "autosave", AutosaveStore.StateColumns));

    /// <summary>Integrations: <c>integration|{provider}</c>, a configuration document and encrypted secrets.</summary>
    public static UserDataKind Integration { get; } = new("integration", UserRowKeys.Integration, "integration configs (secrets encrypted)", []);

    /// <summary>The lifecycle's own rows about the user: <c>lifecycle|hold</c>, <c>lifecycle|migration|…</c> and <c>lifecycle|report|…</c>.</summary>
    public static UserDataKind Lifecycle { get; } = new("lifecycle", UserRowKeys.Lifecycle, "legal hold, migration records and last reports", []);

    /// <summary>Export and import jobs: <c>port|{jobId}|job</c>, each referencing its bundle blob (kept for the <c>portability</c> retention).</summary>
    public static UserDataKind Portability { get; } = new(
        "portability", UserRowKeys.Portability, "export and import jobs (job row, and bundle blobs)",
        global::Serverless.Storage.Portability.PortabilityJobStore.ReferenceColumns,
        (user, row) => global::Serverless.Storage.Portability.PortabilityJobStore.References(user, row));

    /// <summary>Memories: <c>mem|{scope}|{namespace}.|{key}</c>, a JSON value each.</summary>
    public static UserDataKind Memory { get; } = new("memory", UserRowKeys.Memory, "memories (scoped JSON values)", []);

    /// <summary>Memory word index: <c>memword|{scope}|{word}|{namespace}.|{key}</c>, written with each memory.</summary>
    public static UserDataKind MemoryWord { get; } = new("memory.word", UserRowKeys.MemoryWord, "memory search index rows", []);

    /// <summary>Runs: <c>run|{runId}|</c>; large input, output and error are blobs in the run's folder.</summary>
    public static UserDataKind Run { get; } = new(
        "run", UserRowKeys.Run, "tool, automation and agent runs (row, and offloaded input, output, error)",
        [.. RunStore.PayloadFields.SelectMany(PayloadColumnsOf)],
        (_, row) => UserDataKind.PayloadReferences(row, "run", [.. RunStore.PayloadFields]));

    /// <summary>Run list rows: <c>runx|{list}|…|{invertedTicks}|{runId}</c>, summary copies newest first.</summary>
    public static UserDataKind RunList { get; } = new("run.list", UserRowKeys.RunList, "run list rows (all, by kind, status, thread)", []);

    /// <summary>The run counters row: <c>runstat|counts</c>.</summary>
    public static UserDataKind RunStats { get; } = new("run.counts", UserRowKeys.RunStats, "runs per status", []);

    /// <summary>Events: <c>evt|{invertedTicks}|{eventId}</c>.</summary>
    public static UserDataKind Event { get; } = new("event", UserRowKeys.Event, "events (analytics, timeline, activity)", []);

    /// <summary>Usage rollups: <c>usage|{yyyyMMdd}|…</c>, per day in total, per model and per event type.</summary>
    public static UserDataKind Usage { get; } = new("usage", UserRowKeys.Usage, "daily usage rollups", []);

    /// <summary>Records: <c>rec|{collection}|{id}</c>; documents over 64 KiB are blobs in the collection's folder.</summary>
    public static UserDataKind Record { get; } = new(
        "record", UserRowKeys.Record, "records (row, and documents over 64 KiB)",
        [.. PayloadColumnsOf(RecordStore.DataField)],
        (_, row) => UserDataKind.PayloadReferences(row, "record", RecordStore.DataField));

    /// <summary>Record recency rows: <c>recr|{collection}|{invertedTicks}|{id}</c>, copies of the record (its blob counted once, under the record).</summary>
    public static UserDataKind RecordRecent { get; } = new("record.recent", UserRowKeys.RecordRecent, "record list rows by recency", []);

    /// <summary>Record status rows: <c>recs|{collection}|{status}|{invertedTicks}|{id}</c>, copies of the record.</summary>
    public static UserDataKind RecordStatus { get; } = new("record.status", UserRowKeys.RecordStatus, "record list rows by status", []);

    /// <summary>Record parent rows: <c>recp|{collection}|{parentId}|{id}</c>, copies of the record.</summary>
    public static UserDataKind RecordParent { get; } = new("record.parent", UserRowKeys.RecordParent, "record list rows by parent", []);

    /// <summary>Record quota counters: <c>recmeta|{collection}</c> and <c>recmeta|_all</c>.</summary>
    public static UserDataKind RecordMeta { get; } = new("record.meta", UserRowKeys.RecordMeta, "record counts and bytes per collection", []);

    /// <summary>Every kind of user row, in the order reports list them.</summary>
    public static IReadOnlyList<UserDataKind> All { get; } =
    [
        Thread, ThreadActivity, ThreadCreation, Message, ClientMessageId, Segment, Summary, Mission, MissionRun, Setting, Idempotency, Lifecycle,
        Memory, MemoryWord, Run, RunList, RunStats, Event, Usage, Record, RecordRecent, RecordStatus, RecordParent, RecordMeta,
        Artifact, Autosave, Integration, Portability,
    ];

    /// <summary>Message texts and archive segments of a thread: <c>{userKey}/msg/{threadId}/…</c>.</summary>
    public static BlobFolderKind MessageBlobs { get; } = new(UserBlobNames.Messages, Message, [Segment, Message, Segment]);

    /// <summary>Stored webhook response bodies of a mission: <c>{userKey}/mrun/{missionId}/…</c>.</summary>
    public static BlobFolderKind MissionResponseBlobs { get; } = new(UserBlobNames.MissionResponses, MissionRun, [MissionRun]);

    /// <summary>Bundles of export and import jobs and an export's staged parts: <c>{userKey}/port/{jobId}/…</c>.</summary>
    public static BlobFolderKind PortabilityBlobs { get; } = new(UserBlobNames.Portability, Portability, [Portability]);

    /// <summary>An artifact's content: <c>{userKey}/art/{artifactId}/…</c>, referenced by the artifact's row (and its copies, which go with it).</summary>
    public static BlobFolderKind ArtifactBlobs { get; } = new(UserBlobNames.Artifacts, Artifact, [Artifact], ArtifactEntities.RowsReferencingFolder);

    /// <summary>An autosave slot's state too large for its row: <c>{userKey}/autosave/{slot}/…</c>, referenced by the slot's row.</summary>
    public static BlobFolderKind AutosaveBlobs { get; } = new(UserBlobNames.Autosave, Autosave, [Autosave], AutosaveStore.RowsReferencingFolder);


    /// <summary>Offloaded input, output and error of a run: <c>{userKey}/run/{runId}/…</c>.</summary>
    public static BlobFolderKind RunBlobs { get; } = new(UserBlobNames.Runs, Run, [Run]);

    /// <summary>Record documents over 64 KiB of a collection: <c>{userKey}/rec/{collection}/…</c>.</summary>
    public static BlobFolderKind RecordBlobs { get; } = new(UserBlobNames.Records, Record, [Record]);

    /// <summary>Every folder of user blobs.</summary>
    public static IReadOnlyList<BlobFolderKind> BlobFolders { get; } = [MessageBlobs, MissionResponseBlobs, RunBlobs, RecordBlobs, ArtifactBlobs, AutosaveBlobs, PortabilityBlobs];

    /// <summary>The kinds whose rows may reference blobs.</summary>
    public static IReadOnlyList<UserDataKind> Referencing { get; } = All.Where(k => k.ReferencesBlobs).ToList();

    /// <summary>The kind a row key belongs to, or null when none (which the registry test treats as a bug).</summary>
    public static UserDataKind? OfRow(string rowKey)
    {
        ArgumentNullException.ThrowIfNull(rowKey);
        var separator = rowKey.IndexOf(KeyEncoding.Separator, StringComparison.Ordinal);
        var prefix = separator < 0 ? rowKey : rowKey[..separator];
        return All.FirstOrDefault(k => k.RowPrefix == prefix && separator > 0);
    }

    /// <summary>The kind with that <see cref="UserDataKind.Name"/>, or null.</summary>
    public static UserDataKind? Named(string name) => All.FirstOrDefault(k => k.Name == name);

    /// <summary>The folder kind of one of <paramref name="userKey"/>'s blobs, or null when the name has no known folder.</summary>
    public static BlobFolderKind? OfBlob(string userKey, string blobName) =>
        UserBlobNames.Parse(blobName) is { } parts && parts.UserKey == userKey ? BlobFolders.FirstOrDefault(f => f.Folder == parts.Folder) : null;

    private static IEnumerable<string> PayloadColumnsOf(string prefix) => Payloads.PayloadColumns.Columns(prefix);

    private static IEnumerable<BlobReference> SegmentReferences(UserPartition user, TableEntity row)
    {
        if (ArchiveSegments.SegmentBlob(row) is { } blob)
        {
            yield return new BlobReference(blob.BlobName, blob.StoredBytes, "segment");
        }

        foreach (var text in ArchiveSegments.TextBlobs(user, row))
        {
            yield return new BlobReference(text, null, "message");
        }
    }
}
