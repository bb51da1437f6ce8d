using Azure.Data.Tables;
using Azure;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>A thread's summary: text and the last sequence number it covers.</summary>
/// <param name="ThreadId">The thread.</param>
/// <param name="Text">The summary text.</param>
/// <param name="CoversSequence">The last message sequence number the summary takes into account.</param>
/// <param name="UpdatedAt">When it was written (UTC).</param>
/// <param name="ETag">The row's version.</param>
public sealed record SummaryRecord(string ThreadId, string Text, long CoversSequence, DateTimeOffset UpdatedAt, ETag ETag);

/// <summary>Summary rows (<c>summary|{threadId}</c>), one per thread, replaced as the conversation grows.</summary>
public sealed class SummaryStore(TableClient table, TimeProvider time)
{
    /// <summary>Reads a thread's summary, or null.</summary>
    public async Task<SummaryRecord?> GetAsync(UserPartition user, string threadId, CancellationToken cancellationToken)
    {
        var e = await table.FindAsync(user.Key, UserRowKeys.ForSummary(threadId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return e is null
            ? null
            : new SummaryRecord(threadId, e.GetString("Text") ?? string.Empty, e.GetInt64("CoversSeq") ?? 0, e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue, e.ETag);
    }

    /// <summary>Writes a thread's summary; with <paramref name="ifMatch"/> only over that version.</summary>
    /// <exception cref="RequestFailedException">404 or 412 when <paramref name="ifMatch"/> fails.</exception>
    public async Task<SummaryRecord> PutAsync(UserPartition user, string threadId, string text, long coversSequence, ETag? ifMatch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entity = new TableEntity(user.Key, UserRowKeys.ForSummary(threadId))
        {
            ["Text"] = text,
            ["CoversSeq"] = coversSequence,
            ["UpdatedAt"] = now,
        };
        var etag = ifMatch is { } condition
            ? await table.ReplaceAsync(entity, condition, cancellationToken).ConfigureAwait(false)
            : await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return new SummaryRecord(threadId, text, coversSequence, now, etag);
    }

    /// <summary>Writes a summary as an import carries it: with its own update time (created or replaced).</summary>
    public async Task ImportAsync(UserPartition user, string threadId, string text, long coversSequence, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(user.Key, UserRowKeys.ForSummary(threadId))
        {
            ["Text"] = text,
            ["CoversSeq"] = coversSequence,
            ["UpdatedAt"] = updatedAt,
        };
        await table.UpsertAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }
}
