using Azure;
using Azure.Data.Tables;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Archive segments: their index rows and their blobs. A segment blob is NDJSON, one message row per
/// line in the Table service's own JSON form (<see cref="EntityJson"/>, types annotated), so that
/// unsealing restores each row exactly as it was, blob references included (offloaded texts stay
/// where they are; sealing never downloads them).
/// </summary>
internal sealed class ArchiveSegments(TableClient table, PayloadStore payloads)
{
    /// <summary>The content type of a segment's raw (uncompressed) NDJSON.</summary>
    public const string ContentType = "application/x-ndjson";

    private const string BlobPrefix = "Segment";

    /// <summary>The segment of <paramref name="threadId"/> that covers <paramref name="sequence"/>, else the first after it; null when there is none.</summary>
    public async Task<ArchiveSegment?> FindAsync(UserPartition user, string threadId, long sequence, CancellationToken cancellationToken)
    {
        // Keyed by their last sequence number, so the first row at or after the number is the one covering it.
        var filter = TableFilters.And(
            TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.SegmentsOf(threadId)),
            TableClient.CreateQueryFilter($"RowKey ge {UserRowKeys.ForSegment(threadId, sequence)}"));
        var page = await table.ReadPageAsync(filter, 1, cancellationToken: cancellationToken).ConfigureAwait(false);
        return page.Entities.Count == 0 ? null : ToSegment(page.Entities[0]);
    }

    /// <summary>The message rows a segment holds, in sequence order, checked against the segment's range and the user.</summary>
    /// <returns>
    /// The rows, or null when the blob is gone: the segment was rewritten (a delete or redaction) or
    /// unsealed since its index row was read, so the caller must look again.
    /// </returns>
    /// <exception cref="InvalidDataException">The blob holds a row that does not belong there.</exception>
    public async Task<List<TableEntity>?> ReadAsync(UserPartition user, ArchiveSegment segment, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>(segment.Count);
        if (segment.Blob is null)
        {
            return rows;
        }

        Stream stream;
        try
        {
            stream = await payloads.OpenReadAsync(segment.Blob, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var row = EntityJson.Read(document.RootElement);
                if (row.PartitionKey != user.Key || !row.RowKey.StartsWith(UserRowKeys.MessagesOf(segment.ThreadId), StringComparison.Ordinal)
                    || !segment.Covers(MessageEntities.SequenceOf(row)))
                {
                    throw new InvalidDataException($"Archive segment {segment.Blob.BlobName} holds a row outside its range.");
                }

                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>Uploads <paramref name="rows"/> as a new segment blob of the thread (before its index row commits).</summary>
    /// <returns>The segment (no ETag yet), whose blob is null when <paramref name="rows"/> is empty.</returns>
    public async Task<ArchiveSegment> UploadAsync(UserPartition user, string threadId, long first, long last, IReadOnlyList<TableEntity> rows, CancellationToken cancellationToken)
    {
        var folder = MessageStore.BlobPrefix(user, threadId) + "/";
        var referenced = rows.SelectMany(MessageEntities.Blobs).Select(b => b.BlobName.StartsWith(folder, StringComparison.Ordinal)
            ? b.BlobName[folder.Length..]
            : throw new InvalidOperationException($"Message blob {b.BlobName} is not in its thread's folder.")).ToList();
        if (rows.Count == 0)
        {
            return new ArchiveSegment(threadId, first, last, 0, null, referenced, default);
        }

        // A segment holds at most one transaction's worth of rows (ThreadArchiver cuts it at the batch byte budget), so buffering it is bounded.
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            foreach (var row in rows)
            {
                EntityJson.Write(writer, row);
                writer.Flush();
                buffer.WriteByte((byte)'\n');
                writer.Reset();
            }
        }

        buffer.Position = 0;
        var blob = await payloads.WriteAsync(MessageStore.BlobPrefix(user, threadId), buffer, ContentType, cancellationToken).ConfigureAwait(false);
        return new ArchiveSegment(threadId, first, last, rows.Count, blob, referenced, default);
    }

    /// <summary>
    /// Whether the index row of <paramref name="segment"/> names its blob: after a retried commit that
    /// then failed, this tells whether the first attempt committed (so the blob must stay).
    /// </summary>
    public async Task<bool> IsIndexedAsync(UserPartition user, ArchiveSegment segment, CancellationToken cancellationToken) =>
        segment.Blob is { } blob
        && await table.FindAsync(user.Key, UserRowKeys.ForSegment(segment.ThreadId, segment.Last), cancellationToken: cancellationToken).ConfigureAwait(false) is { } row
        && SegmentBlob(row)?.BlobName == blob.BlobName;

    /// <summary>The bytes a row takes as a segment line, which is also its body in the unarchive transaction.</summary>
    public static int LineBytes(TableEntity row) => EntityJson.Serialize(row).Length + 1;

    /// <summary>The index row of a segment.</summary>
    public static TableEntity Row(UserPartition user, ArchiveSegment segment)
    {
        var e = new TableEntity(user.Key, UserRowKeys.ForSegment(segment.ThreadId, segment.Last))
        {
            ["ThreadId"] = segment.ThreadId,
            ["First"] = segment.First,
            ["Count"] = segment.Count,
            ["Payloads"] = segment.Payloads.Count == 0 ? null : string.Join('\n', segment.Payloads),
        };
        PayloadColumns.Write(e, BlobPrefix, segment.Blob);
        return e;
    }

    /// <summary>The segment blob an index row names, or null for a segment that holds no message.</summary>
    public static PayloadReference? SegmentBlob(TableEntity row) => PayloadColumns.Read(row, BlobPrefix);

    /// <summary>The offloaded texts (full blob names) the messages sealed in a segment reference, as its index row lists them.</summary>
    public static IEnumerable<string> TextBlobs(UserPartition user, TableEntity row)
    {
        var folder = MessageStore.BlobPrefix(user, row.GetString("ThreadId") ?? string.Empty) + "/";
        return (row.GetString("Payloads") ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(name => folder + name);
    }

    /// <summary>The columns <see cref="SegmentBlob"/> and <see cref="TextBlobs"/> need (for a projected scan).</summary>
    public static IReadOnlyList<string> ReferenceColumns { get; } = ["ThreadId", "Payloads", .. PayloadColumns.Columns(BlobPrefix)];

    private static ArchiveSegment ToSegment(TableEntity e)
    {
        var parts = KeyEncoding.Split(e.RowKey);
        return new ArchiveSegment(
            parts[1],
            e.GetInt64("First") ?? 0,
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            e.GetInt32("Count") ?? 0,
            PayloadColumns.Read(e, BlobPrefix),
            (e.GetString("Payloads") ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            e.ETag);
    }
}
