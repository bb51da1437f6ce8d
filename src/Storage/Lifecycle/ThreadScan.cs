using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Every thread row of one user (lineage, deleted and purged marks only), read once per user per sweep: what the
/// purge of a deleted thread asks to learn how much of it forks still read.
/// </summary>
/// <remarks>
/// <para>
/// A fork's lineage lists each ancestor with the last sequence number it takes from it, so the messages of a
/// deleted thread T that some fork still reads are T's messages up to the largest such number over the threads
/// whose lineage names T. Those threads count whether live or soft-deleted (a deleted fork may be restored);
/// threads already being purged do not (their own forks carry T in their own lineage).
/// </para>
/// <para>
/// The scan is a snapshot, and forks created after it are not in it. That is safe for every thread deleted before
/// the scan started: a deleted thread cannot be forked, so a later fork that reads T was forked from a thread that
/// was live at the scan, which the scan saw with a lineage reaching at least as far into T. So a purge only takes
/// threads deleted at least <see cref="SafetyMargin"/> (for clock skew between instances) before the scan.
/// </para>
/// </remarks>
internal sealed class ThreadScan
{
    /// <summary>How long before the scan a thread must have been deleted for the scan to vouch for its forks.</summary>
    public static readonly TimeSpan SafetyMargin = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, Entry> threads;

    private ThreadScan(DateTimeOffset startedAt, Dictionary<string, Entry> threads)
    {
        StartedAt = startedAt;
        this.threads = threads;
    }

    /// <summary>When the scan began (the sweep's clock).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Reads every thread row of the user (projected; about 1,000 rows per request).</summary>
    public static async Task<ThreadScan> ReadAsync(TableClient users, UserPartition user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var threads = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var rows = await users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Threads), ThreadEntities.LineageColumns, cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            threads[ThreadEntities.ThreadIdOfKey(row.RowKey)] = new Entry(
                ThreadLineage.Parse(row.GetString("Lineage")), row.GetDateTimeOffset("DeletedAt"), row.GetDateTimeOffset(ThreadEntities.PurgedAtProperty));
        }

        return new ThreadScan(now, threads);
    }

    /// <summary>Whether the scan can vouch for the forks of a thread deleted at <paramref name="deletedAt"/>.</summary>
    public bool Covers(DateTimeOffset deletedAt) => deletedAt <= StartedAt - SafetyMargin;

    /// <summary>The last sequence number of <paramref name="threadId"/> that some thread not being purged still reads; 0 when none does.</summary>
    public long NeededOf(string threadId) => threads
        .Where(t => t.Key != threadId && t.Value.PurgedAt is null)
        .SelectMany(t => t.Value.Lineage.Ancestors)
        .Where(a => a.ThreadId == threadId)
        .Select(a => a.LastSequence)
        .DefaultIfEmpty(0)
        .Max();

    /// <summary>Whether <paramref name="threadId"/> is being purged, its row kept for what forks read.</summary>
    public bool IsPurged(string threadId) => threads.TryGetValue(threadId, out var t) && t.PurgedAt is not null;

    /// <summary>Records that a purge began (<paramref name="removed"/>: and finished, the row gone).</summary>
    public void MarkPurged(string threadId, DateTimeOffset at, bool removed)
    {
        if (removed)
        {
            threads.Remove(threadId);
        }
        else if (threads.TryGetValue(threadId, out var t))
        {
            threads[threadId] = t with { PurgedAt = at };
        }
    }

    private sealed record Entry(ThreadLineage Lineage, DateTimeOffset? DeletedAt, DateTimeOffset? PurgedAt);
}
