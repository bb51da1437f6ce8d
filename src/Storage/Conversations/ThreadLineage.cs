using System.Globalization;

namespace Serverless.Storage.Conversations;

/// <summary>One ancestor of a fork: the fork shows that thread's messages with sequence numbers up to <paramref name="LastSequence"/>.</summary>
/// <param name="ThreadId">The ancestor thread.</param>
/// <param name="LastSequence">The last sequence number taken from it.</param>
public sealed record LineageSegment(string ThreadId, long LastSequence);

/// <summary>
/// Where a thread's messages live. A fork copies nothing: it records its ancestors, oldest first,
/// each with the last sequence number it contributes; the thread's own messages continue the
/// numbering after the last ancestor's. Each fork's row holds the whole chain (copied from its
/// parent at fork time), so reading a fork needs no walk up the ancestry; an ancestor's thread row
/// is read only when its message rows are missing, to learn whether they were archived (a soft-deleted
/// parent keeps its row and its messages, so it does not break its forks).
/// </summary>
/// <param name="Ancestors">The ancestors, oldest first, with increasing <see cref="LineageSegment.LastSequence"/>.</param>
public sealed record ThreadLineage(IReadOnlyList<LineageSegment> Ancestors)
{
    /// <summary>A thread that is not a fork.</summary>
    public static ThreadLineage None { get; } = new([]);

    /// <summary>The parent, when this is a fork.</summary>
    public LineageSegment? Parent => Ancestors.Count > 0 ? Ancestors[^1] : null;

    /// <summary>The sequence number of the thread's first own message.</summary>
    public long FirstOwnSequence => (Parent?.LastSequence ?? 0) + 1;

    /// <summary>The lineage of a fork of the thread <paramref name="parentId"/> (whose lineage this is) at <paramref name="atSequence"/>.</summary>
    public ThreadLineage ForkAt(string parentId, long atSequence)
    {
        // Ancestors wholly before the fork point stay; the one the point falls in is cut there. The parent
        // always comes last (even when it contributes nothing of its own), so it is the one reported.
        var kept = Ancestors.Where(a => a.LastSequence < atSequence).ToList();
        if (Ancestors.FirstOrDefault(a => a.LastSequence >= atSequence) is { } inherited)
        {
            kept.Add(inherited with { LastSequence = atSequence });
        }

        kept.Add(new LineageSegment(parentId, atSequence));
        return new ThreadLineage(kept);
    }

    /// <summary>
    /// The ranges to read, in sequence order: each ancestor's part, then the thread's own messages.
    /// Ranges are inclusive; the last ends at <see cref="long.MaxValue"/>.
    /// </summary>
    public IReadOnlyList<(string ThreadId, long First, long Last)> Ranges(string threadId)
    {
        var ranges = new List<(string, long, long)>(Ancestors.Count + 1);
        long first = 1;
        foreach (var a in Ancestors)
        {
            if (a.LastSequence >= first)
            {
                ranges.Add((a.ThreadId, first, a.LastSequence));
            }

            first = a.LastSequence + 1;
        }

        ranges.Add((threadId, first, long.MaxValue));
        return ranges;
    }

    /// <summary>The thread that stores message <paramref name="sequence"/> of thread <paramref name="threadId"/>.</summary>
    public string OwnerOf(string threadId, long sequence) =>
        Ranges(threadId).First(r => sequence >= r.First && sequence <= r.Last).ThreadId;

    /// <summary>The stored form: <c>id:seq,id:seq</c> (thread ids never hold ':' or ',').</summary>
    public string? Serialize() => Ancestors.Count == 0
        ? null
        : string.Join(',', Ancestors.Select(a => a.ThreadId + ":" + a.LastSequence.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads the stored form back.</summary>
    public static ThreadLineage Parse(string? text) => string.IsNullOrEmpty(text)
        ? None
        : new ThreadLineage(text.Split(',').Select(part =>
        {
            var colon = part.LastIndexOf(':');
            return new LineageSegment(part[..colon], long.Parse(part[(colon + 1)..], CultureInfo.InvariantCulture));
        }).ToList());
}
