using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>
/// Reads our stores make on top of the SDK: a point read that answers null for a missing row, and
/// page-filling queries (the service may answer short or empty pages with a continuation; a
/// user-facing page holds exactly the rows asked for unless the query ends).
/// </summary>
public static class TableReads
{
    /// <summary>Reads one entity, or <c>null</c> when it does not exist (one request, no exception).</summary>
    /// <param name="table">The table.</param>
    /// <param name="partitionKey">The encoded partition key.</param>
    /// <param name="rowKey">The encoded row key.</param>
    /// <param name="select">Properties to return (all when null); keys always come back.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public static async Task<TableEntity?> FindAsync(this TableClient table, string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, WithKeys(select), cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> entities from <paramref name="continuation"/> on, asking for
    /// what is still missing while the service returns short or empty pages, and returns where the next
    /// read starts. The building block of user-facing cursors: a page is never over-full.
    /// </summary>
    /// <param name="table">The table.</param>
    /// <param name="filter">A filter from <see cref="TableClient.CreateQueryFilter(FormattableString)"/> or <see cref="TableFilters"/>; every row when null.</param>
    /// <param name="limit">1 to 1,000 entities.</param>
    /// <param name="continuation">Where to start, from an earlier page; the start when null.</param>
    /// <param name="select">Properties to return (all when null); keys always come back.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    public static async Task<TablePage> ReadPageAsync(
        this TableClient table, string? filter, int limit, string? continuation = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var columns = WithKeys(select);
        var entities = new List<TableEntity>(limit);
        var next = continuation;
        do
        {
            var want = limit - entities.Count;
            await foreach (var page in table.QueryAsync<TableEntity>(filter, want, columns, cancellationToken).AsPages(next, want).ConfigureAwait(false))
            {
                entities.AddRange(page.Values);
                next = page.ContinuationToken;
                break;
            }
        }
        while (entities.Count < limit && next is not null);

        return new TablePage(entities, next);
    }

    /// <summary>Reads every entity a query matches, across pages. For bounded result sets only.</summary>
    public static async Task<List<TableEntity>> ReadAllAsync(this TableClient table, string? filter = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var all = new List<TableEntity>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: WithKeys(select), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            all.Add(entity);
        }

        return all;
    }

    /// <summary>A projection always takes the keys too (row keys carry our ids and sequence numbers).</summary>
    internal static List<string>? WithKeys(IEnumerable<string>? select) =>
        select is null ? null : select.Concat(["PartitionKey", "RowKey"]).Distinct(StringComparer.Ordinal).ToList();
}
