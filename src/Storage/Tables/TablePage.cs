namespace Serverless.Storage.Tables;

/// <summary>Where the service asked a query to resume: the <c>x-ms-continuation-Next*</c> headers, passed back verbatim.</summary>
/// <param name="NextPartitionKey">The opaque next-partition token.</param>
/// <param name="NextRowKey">The opaque next-row token, which may be absent.</param>
public sealed record TableContinuation(string NextPartitionKey, string? NextRowKey);

/// <summary>One page of a query: up to <c>top</c> (at most 1,000) entities, and where to resume if there is more.</summary>
/// <param name="Entities">The page's entities, possibly none even when <paramref name="Continuation"/> is set.</param>
/// <param name="Continuation">Where the next page starts, or <c>null</c> on the last page.</param>
public sealed record TablePage(IReadOnlyList<TableEntity> Entities, TableContinuation? Continuation);

/// <summary>How an upsert treats an existing entity.</summary>
public enum TableUpdateMode
{
    /// <summary>Replace every property (Insert Or Replace, <c>PUT</c>).</summary>
    Replace,

    /// <summary>Keep properties the write does not mention (Insert Or Merge, <c>MERGE</c>).</summary>
    Merge,
}
