using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Maps threads to their rows. The activity row (<c>recent|…</c>) is a full copy of the thread row,
/// so the most-recent list reads one row per item; the creation row (<c>created|…</c>) carries only
/// the flags the list filters on, and the list then reads the matching thread rows.
/// </summary>
internal static class ThreadEntities
{
    private const string ThreadIdProperty = "ThreadId";
    private const string DeletedProperty = "Deleted";
    private const string SealedThroughProperty = "SealedThrough";

    /// <summary>When retention began purging the thread (absent until then).</summary>
    public const string PurgedAtProperty = "PurgedAt";

    /// <summary>The columns the retention sweep reads of every thread row: who forked from whom, and what is deleted or purged.</summary>
    public static IReadOnlyList<string> LineageColumns { get; } = ["Lineage", "DeletedAt", PurgedAtProperty];

    public static TableEntity ThreadRow(UserPartition user, ThreadRecord thread) =>
        Fill(new TableEntity(user.Key, UserRowKeys.ForThread(thread.Id)), thread);

    public static TableEntity RecentRow(UserPartition user, ThreadRecord thread) =>
        Fill(new TableEntity(user.Key, UserRowKeys.ForRecent(thread.LastActivityAt, thread.Id)), thread);

    public static TableEntity CreatedRow(UserPartition user, ThreadRecord thread) => new(user.Key, UserRowKeys.ForCreated(thread.CreatedAt, thread.Id))
    {
        [ThreadIdProperty] = thread.Id,
        ["Starred"] = thread.Starred,
        ["Archived"] = thread.Archived,
        [DeletedProperty] = thread.IsDeleted,
    };

    public static ThreadRecord ToRecord(TableEntity e) => new(
        e.GetString(ThreadIdProperty) ?? string.Empty,
        e.GetString("Title"),
        e.GetString("Metadata"),
        e.GetBoolean("Starred") ?? false,
        e.GetBoolean("Archived") ?? false,
        e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
        e.GetDateTimeOffset("LastActivityAt") ?? DateTimeOffset.MinValue,
        e.GetDateTimeOffset("DeletedAt"),
        e.GetInt64("MessageCount") ?? 0,
        e.GetInt64("NextSeq") ?? 1,
        e.GetInt64("PromptTokens") ?? 0,
        e.GetInt64("CompletionTokens") ?? 0,
        e.GetDouble("Cost") ?? 0,
        e.GetInt64(SealedThroughProperty) ?? 0,
        ThreadLineage.Parse(e.GetString("Lineage")),
        e.ETag)
    {
        PurgedAt = e.GetDateTimeOffset(PurgedAtProperty),
    };

    /// <summary>Whether a creation or activity row passes the list's filter.</summary>
    public static bool Matches(TableEntity e, ThreadFilter filter) =>
        (e.GetBoolean(DeletedProperty) ?? false) == filter.Deleted
        && (filter.Archived is not { } archived || (e.GetBoolean("Archived") ?? false) == archived)
        && (filter.Starred is not { } starred || (e.GetBoolean("Starred") ?? false) == starred);

    public static string ThreadIdOf(TableEntity e) => e.GetString(ThreadIdProperty) ?? string.Empty;

    /// <summary>The thread id of a thread row, from its key (projections need not select <c>ThreadId</c>).</summary>
    public static string ThreadIdOfKey(string threadRowKey) => KeyEncoding.Split(threadRowKey)[1];

    private static TableEntity Fill(TableEntity e, ThreadRecord t)
    {
        e[ThreadIdProperty] = t.Id;
        e["Title"] = t.Title;
        e["Metadata"] = t.MetadataJson;
        e["Starred"] = t.Starred;
        e["Archived"] = t.Archived;
        e[DeletedProperty] = t.IsDeleted;
        e["CreatedAt"] = t.CreatedAt;
        e["UpdatedAt"] = t.UpdatedAt;
        e["LastActivityAt"] = t.LastActivityAt;
        e["DeletedAt"] = t.DeletedAt;
        e["MessageCount"] = t.MessageCount;
        e["NextSeq"] = t.NextSequence;
        e["PromptTokens"] = t.PromptTokens;
        e["CompletionTokens"] = t.CompletionTokens;
        e["Cost"] = t.Cost;
        e[SealedThroughProperty] = t.SealedThrough;
        e["Lineage"] = t.Lineage.Serialize();
        e[PurgedAtProperty] = t.PurgedAt;
        return e;
    }
}
