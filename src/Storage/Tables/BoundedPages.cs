using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>
/// A page of a query whose filter the service applies to the rows it scans (a property filter on top of a key range):
/// the service may answer short or empty pages while it scans past rows that do not match, so a user-facing page
/// stops after a fixed number of requests and may come back short (even empty) with a continuation. One list request
/// therefore costs at most that many storage requests, whatever the data.
/// </summary>
public static class BoundedPages
{
    /// <summary>Requests one list call may make.</summary>
    public const int MaxRequests = 5;

    /// <summary>Up to <paramref name="limit"/> rows from <paramref name="continuation"/> on, in at most <see cref="MaxRequests"/> requests.</summary>
    public static async Task<TablePage> ReadAsync(TableClient table, string filter, int limit, string? continuation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var items = new List<TableEntity>(limit);
        var next = continuation;
        for (var requests = 0; requests < MaxRequests && items.Count < limit; requests++)
        {
            var want = limit - items.Count;
            await foreach (var page in table.QueryAsync<TableEntity>(filter, want, cancellationToken: cancellationToken).AsPages(next, want).ConfigureAwait(false))
            {
                items.AddRange(page.Values);
                next = page.ContinuationToken;
                break;
            }

            if (next is null)
            {
                break;
            }
        }

        return new TablePage(items, next);
    }
}
