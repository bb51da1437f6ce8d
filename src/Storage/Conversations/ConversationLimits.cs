using Serverless.Storage.Tables;

namespace Serverless.Storage.Conversations;

/// <summary>
/// The limits of threads and messages, derived from the Table service's limits so that every
/// append fits one entity group transaction (atomic, one round trip).
/// </summary>
/// <remarks>
/// <para>
/// Operation count: an append is one transaction of at most 100 operations holding the thread row
/// (Replace under its ETag), the move of its activity row (Delete old + Add new) and, per message,
/// its row plus one client-id row when it has a client id. So
/// <c>messages + messagesWithClientIds + 3 ≤ 100</c>: 97 messages without client ids, 48 with. An append whose
/// messages report usage also updates the day's usage rollups in the same transaction (1 row for the total, 1 per
/// distinct model), which that many fewer rows leave room for.
/// We keep atomicity and refuse larger requests with 400 rather than splitting them.
/// </para>
/// <para>
/// Bytes: a string property holds at most 32,768 UTF-16 characters (64 KiB), an entity 1 MiB, a
/// transaction body under 4 MiB. The batch is JSON written with the default escaper, which in the
/// worst case spends 6 bytes (<c>\uXXXX</c>) per UTF-16 unit, i.e. 3 times the entity size as the
/// service counts it (2 bytes per unit). So content or tool calls over
/// <see cref="InlineMaxChars"/> (half a property) always go to a blob, and a whole append is kept
/// under <see cref="BatchBudgetBytes"/> by also offloading its largest inline fields until
/// <c>3 × Σ entity size + per-operation overhead</c> fits.
/// </para>
/// </remarks>
public static class ConversationLimits
{
    /// <summary>Operations an entity group transaction may hold.</summary>
    public const int MaxTransactionOperations = 100;

    /// <summary>The fixed operations of an append: thread Replace, activity row Delete and Add.</summary>
    public const int AppendFixedOperations = 3;

    /// <summary>Rows an append may add: messages, client-id rows and usage rollup rows (97).</summary>
    public const int MaxAppendRows = MaxTransactionOperations - AppendFixedOperations;

    /// <summary>
    /// Messages an append may hold when they report usage and name at most one model (95): the day's total and the
    /// model's usage rows take two of <see cref="MaxAppendRows"/>.
    /// </summary>
    public const int MaxAppendRowsWithUsage = MaxAppendRows - 2;

    /// <summary>
    /// The usage rollup rows an append updates in its transaction: none when no message reports usage (a model,
    /// tokens or a cost), else the day's total plus one row per distinct model.
    /// </summary>
    /// <param name="messages">Each message's model and whether it reports tokens or a cost.</param>
    public static int UsageRollupOperations(IEnumerable<(string? Model, bool HasTokensOrCost)> messages)
    {
        var list = messages.ToList();
        return list.Any(m => m.Model is not null || m.HasTokensOrCost) ? 1 + list.Where(m => m.Model is not null).Select(m => m.Model).Distinct(StringComparer.Ordinal).Count() : 0;
    }

    /// <summary>Content or tool calls longer than this (UTF-16 characters) go to a blob: half of one string property.</summary>
    public const int InlineMaxChars = EntityLimits.MaxStringChars / 2;

    /// <summary>Characters of an offloaded text kept in the row as its preview.</summary>
    public const int PreviewChars = 256;

    /// <summary>
    /// Estimated bytes an append may send: 4 MiB less 256 KiB for the thread and activity rows
    /// (each under 3 × 64 KiB worst case) and the multipart framing.
    /// </summary>
    public const int BatchBudgetBytes = EntityLimits.MaxTransactionBytes - (256 * 1024);

    /// <summary>Multipart framing and headers of one operation, estimated generously.</summary>
    public const int OperationOverheadBytes = EntityJson.OperationOverheadBytes;

    /// <summary>Worst-case JSON bytes per byte of entity size as the service counts it (6 bytes per 2-byte UTF-16 unit).</summary>
    public const int EscapeFactor = 3;

    /// <summary>Longest message content, in characters (it goes to a blob above <see cref="InlineMaxChars"/>).</summary>
    public const int MaxContentChars = 1_000_000;

    /// <summary>Longest tool-calls JSON, in characters.</summary>
    public const int MaxToolCallsChars = 1_000_000;

    /// <summary>Largest metadata JSON (thread or message), in characters; always inline.</summary>
    public const int MaxMetadataChars = 4096;

    /// <summary>Longest thread title, in characters.</summary>
    public const int MaxTitleChars = 512;

    /// <summary>Longest model name, in characters.</summary>
    public const int MaxModelChars = 200;

    /// <summary>Most prompt or completion tokens one message may report (keeps thread sums far from overflow).</summary>
    public const long MaxTokensPerMessage = 100_000_000;

    /// <summary>Largest cost one message may report (keeps thread sums finite).</summary>
    public const double MaxCostPerMessage = 1_000_000;

    /// <summary>Longest summary text, in characters (one string property).</summary>
    public const int MaxSummaryChars = EntityLimits.MaxStringChars;

    /// <summary>Ancestors a fork may have; the lineage is copied into each fork's row, so this bounds that row.</summary>
    public const int MaxForkDepth = 32;

    /// <summary>Rows a list request may read before it returns a short page with a cursor.</summary>
    public const int ListScanBudget = 500;

    /// <summary>Attempts at an append that loses the race for the thread row's ETag before giving up.</summary>
    public const int MaxAppendAttempts = 100;
}
