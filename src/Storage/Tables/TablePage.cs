using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>One user-facing page of a query: at most the asked number of entities, and where the next page starts.</summary>
/// <param name="Entities">The page's entities.</param>
/// <param name="Continuation">The SDK's continuation token for the next page, or <c>null</c> at the end.</param>
public sealed record TablePage(IReadOnlyList<TableEntity> Entities, string? Continuation);
