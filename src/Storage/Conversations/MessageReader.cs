using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Reads stretches of one thread's message rows for one request, wherever they live: archive
/// segments for sealed sequence numbers, table rows for the rest.
/// </summary>
/// <remarks>
/// <para>
/// Where the boundary lies comes from the thread row: the reading thread's own from the snapshot
/// the caller passes; an ancestor's is assumed to be "nothing sealed" until evidence says otherwise,
/// so reading a fork whose ancestors were never archived costs nothing extra.
/// </para>
/// <para>
/// The boundary can move while a request reads (an archive or unarchive commits a segment at a
/// time). Both sources are checked against it: a row read that misses its first sequence number
/// (the rows may just have been sealed, or were deleted) re-reads the owner's thread row (one point
/// read, only on such a gap); a segment missing where the boundary says one is means it was just
/// unsealed. Either way
/// <see cref="BoundaryMovedException"/> tells the caller to read its page again with the boundaries
/// now known, so a page never silently skips messages.
/// </para>
/// </remarks>
internal sealed class MessageReader(TableClient table, ThreadStore threads, ArchiveSegments segments, UserPartition user, ThreadRecord thread)
{
    private readonly Dictionary<string, long> boundaries = new(StringComparer.Ordinal) { [thread.Id] = thread.SealedThrough };
    // Segments found and read lately, a few at a time (a page spans at most two segments of an owner),
    // so a reader kept for a whole transcript reads each segment once and memory stays bounded.
    private const int RecentSegments = 4;
    private readonly List<ArchiveSegment> found = [];
    private readonly List<(ArchiveSegment Segment, List<TableEntity> Rows)> contents = [];

    /// <summary>
    /// Up to <paramref name="max"/> message rows of <paramref name="owner"/> with sequence numbers in
    /// <paramref name="lo"/>..<paramref name="hi"/>, lowest first.
    /// </summary>
    /// <exception cref="BoundaryMovedException">The sealed boundary moved under this read; read the page again.</exception>
    public async Task<List<TableEntity>> ReadAsync(string owner, long lo, long hi, int max, CancellationToken cancellationToken)
    {
        var result = new List<TableEntity>(Math.Min(max, 128));
        var boundary = boundaries.GetValueOrDefault(owner);
        var position = lo;
        while (position <= Math.Min(hi, boundary) && result.Count < max)
        {
            var segment = await SegmentAtAsync(owner, position, cancellationToken).ConfigureAwait(false);
            if (segment is null)
            {
                await RecheckAsync(owner, cancellationToken).ConfigureAwait(false);
                throw new BoundaryMovedException();
            }

            // Null: the blob was replaced (a delete, redaction or unarchive committed meanwhile).
            var rows = await ContentsAsync(segment, cancellationToken).ConfigureAwait(false) ?? throw new BoundaryMovedException();
            foreach (var row in rows)
            {
                var sequence = MessageEntities.SequenceOf(row);
                if (sequence >= position && sequence <= hi && result.Count < max)
                {
                    result.Add(row);
                }
            }

            position = segment.Last + 1;
        }

        if (result.Count >= max || position > hi)
        {
            return result;
        }

        var page = await table.ReadPageAsync(MessageStore.Range(user, owner, position, hi), max - result.Count, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (page.Entities.Count == 0 || MessageEntities.SequenceOf(page.Entities[0]) != position)
        {
            // A gap where the rows start: deleted messages, or rows sealed since the boundary was read.
            // Sealing only ever takes a prefix, so only a gap at the start can hide sealed rows.
            if (await RecheckAsync(owner, cancellationToken).ConfigureAwait(false) >= position)
            {
                throw new BoundaryMovedException();
            }
        }

        result.AddRange(page.Entities);
        return result;
    }

    /// <summary>Forgets what was read (segments may have changed), keeping the boundaries learnt; for a page read again.</summary>
    public void Restart()
    {
        found.Clear();
        contents.Clear();
    }

    private async Task<long> RecheckAsync(string owner, CancellationToken cancellationToken)
    {
        var current = await threads.GetAsync(user, owner, cancellationToken).ConfigureAwait(false);
        var boundary = current?.SealedThrough ?? 0;
        boundaries[owner] = boundary;
        return boundary;
    }

    private async Task<ArchiveSegment?> SegmentAtAsync(string owner, long sequence, CancellationToken cancellationToken)
    {
        if (found.Find(s => s.ThreadId == owner && s.Covers(sequence)) is { } cached)
        {
            return cached;
        }

        var segment = await segments.FindAsync(user, owner, sequence, cancellationToken).ConfigureAwait(false);
        if (segment is null || !segment.Covers(sequence))
        {
            return null;
        }

        Remember(found, segment);
        return segment;
    }

    private async Task<List<TableEntity>?> ContentsAsync(ArchiveSegment segment, CancellationToken cancellationToken)
    {
        if (contents.Find(c => c.Segment.ThreadId == segment.ThreadId && c.Segment.Last == segment.Last && c.Segment.ETag == segment.ETag) is { Rows: { } cached })
        {
            return cached;
        }

        var rows = await segments.ReadAsync(user, segment, cancellationToken).ConfigureAwait(false);
        if (rows is not null)
        {
            Remember(contents, (segment, rows));
        }

        return rows;
    }

    private static void Remember<T>(List<T> recent, T item)
    {
        if (recent.Count == RecentSegments)
        {
            recent.RemoveAt(0);
        }

        recent.Add(item);
    }
}

/// <summary>A thread's sealed boundary moved while a page was being read; the page must be read again.</summary>
internal sealed class BoundaryMovedException() : Exception("The thread's archive boundary moved during the read.");
