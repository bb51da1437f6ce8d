using Azure;
using Serverless.Storage.Payloads;

namespace Serverless.Storage.Conversations;

/// <summary>
/// One sealed stretch of a thread's own messages: the rows with sequence numbers
/// <paramref name="First"/>..<paramref name="Last"/> (deleted ones absent), packed as compressed
/// NDJSON into one blob and indexed by the row <c>seg|{threadId}|{Last}</c>. A thread's segments
/// cover its sealed sequence numbers without gaps or overlaps, from its first own sequence number
/// up to <see cref="ThreadRecord.SealedThrough"/>.
/// </summary>
/// <param name="ThreadId">The thread whose own messages it holds.</param>
/// <param name="First">The first sequence number it covers.</param>
/// <param name="Last">The last sequence number it covers.</param>
/// <param name="Count">The messages it holds (fewer than it covers when some were deleted).</param>
/// <param name="Blob">The NDJSON blob, or null when it holds no message.</param>
/// <param name="Payloads">
/// The offloaded texts its messages reference, as blob names relative to the thread's blob folder
/// (the orphan check must not take them for orphans).
/// </param>
/// <param name="ETag">The index row's version.</param>
public sealed record ArchiveSegment(string ThreadId, long First, long Last, int Count, PayloadReference? Blob, IReadOnlyList<string> Payloads, ETag ETag)
{
    /// <summary>Whether it covers <paramref name="sequence"/>.</summary>
    public bool Covers(long sequence) => sequence >= First && sequence <= Last;
}
