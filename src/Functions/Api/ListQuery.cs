namespace Serverless.Functions.Api;

/// <summary>The paging parameters every list endpoint takes: <c>limit</c> (1..100, default 20), <c>cursor</c> and <c>order</c>.</summary>
/// <param name="Limit">Items per page.</param>
/// <param name="Cursor">The opaque cursor from the previous page's <c>nextCursor</c>, or null for the first page.</param>
/// <param name="Descending">Whether the list runs newest/last first.</param>
public sealed record ListQuery(int Limit, string? Cursor, bool Descending)
{
    /// <summary>The default page size.</summary>
    public const int DefaultLimit = 20;

    /// <summary>The largest page size.</summary>
    public const int MaxLimit = 100;

    /// <summary>Reads and validates the paging parameters of <paramref name="request"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="defaultDescending">The order when none is given.</param>
    /// <param name="query">The parsed parameters.</param>
    /// <param name="problem">A 400 problem naming the failing parameters.</param>
    public static bool TryParse(HttpRequest request, bool defaultDescending, out ListQuery query, out IResult? problem)
    {
        var errors = new Dictionary<string, string[]>();
        var limit = DefaultLimit;
        if (request.Query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, out limit) || limit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"limit must be a whole number from 1 to {MaxLimit}."];
        }

        var descending = defaultDescending;
        if (request.Query.TryGetValue("order", out var order))
        {
            switch (order.ToString())
            {
                case "asc":
                    descending = false;
                    break;
                case "desc":
                    descending = true;
                    break;
                default:
                    errors["order"] = ["order must be 'asc' or 'desc'."];
                    break;
            }
        }

        var cursor = request.Query.TryGetValue("cursor", out var c) && !string.IsNullOrEmpty(c) ? c.ToString() : null;
        query = new ListQuery(limit, cursor, descending);
        problem = errors.Count > 0 ? Problems.Validation(errors) : null;
        return problem is null;
    }
}

/// <summary>The body of every list answer.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Data">The page's items.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page.</param>
public sealed record ListPage<T>(IReadOnlyList<T> Data, string? NextCursor);
