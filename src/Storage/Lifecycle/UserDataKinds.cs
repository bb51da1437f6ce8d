using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Missions;
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

    /// <summary>The lifecycle's own rows about the user: <c>lifecycle|hold</c>, <c>lifecycle|migration|…</c> and <c>lifecycle|report|…</c>.</summary>
    public static UserDataKind Lifecycle { get; } = new("lifecycle", UserRowKeys.Lifecycle, "legal hold, migration records and last reports", []);

    /// <summary>Export and import jobs: <c>port|{jobId}</c>, each referencing its bundle blob (kept for the <c>portability</c> retention).</summary>
    public static UserDataKind Portability { get; } = new(
        "portability", UserRowKeys.Portability, "export and import jobs (job row, and bundle blobs)",
        global::Serverless.Storage.Portability.PortabilityJobStore.ReferenceColumns,
        (user, row) => global::Serverless.Storage.Portability.PortabilityJobStore.References(user, row));

    /// <summary>Every kind of user row, in the order reports list them.</summary>
    public static IReadOnlyList<UserDataKind> All { get; } =
        [Thread, ThreadActivity, ThreadCreation, Message, ClientMessageId, Segment, Summary, Mission, MissionRun, Setting, Idempotency, Lifecycle, Portability];

    /// <summary>Message texts and archive segments of a thread: <c>{userKey}/msg/{threadId}/…</c>.</summary>
    public static BlobFolderKind MessageBlobs { get; } = new(UserBlobNames.Messages, Message, [Segment, Message, Segment]);

    /// <summary>Stored webhook response bodies of a mission: <c>{userKey}/mrun/{missionId}/…</c>.</summary>
    public static BlobFolderKind MissionResponseBlobs { get; } = new(UserBlobNames.MissionResponses, MissionRun, [MissionRun]);

    /// <summary>Bundles of export and import jobs and an export's staged parts: <c>{userKey}/port/{jobId}/…</c>.</summary>
    public static BlobFolderKind PortabilityBlobs { get; } = new(UserBlobNames.Portability, Portability, [Portability]);

    /// <summary>Every folder of user blobs.</summary>
    public static IReadOnlyList<BlobFolderKind> BlobFolders { get; } = [MessageBlobs, MissionResponseBlobs, PortabilityBlobs];

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
