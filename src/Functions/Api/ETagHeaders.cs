using Azure;

namespace Serverless.Functions.Api;

/// <summary>Reads <c>If-Match</c> / <c>If-None-Match</c> and writes <c>ETag</c>, the same way on every endpoint.</summary>
public static class ETagHeaders
{
    /// <summary>
    /// Parses <c>If-Match</c>: absent gives null, <c>*</c> gives <see cref="ETag.All"/>, one entity tag
    /// gives that tag. A list of tags is refused (we only ever hand out one current version).
    /// </summary>
    public static bool TryGetIfMatch(HttpRequest request, out ETag? ifMatch, out IResult? problem)
    {
        ifMatch = null;
        problem = null;
        var values = request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return true;
        }

        var text = values.ToString().Trim();
        if (text == "*")
        {
            ifMatch = ETag.All;
            return true;
        }

        if (values.Count > 1 || text.Length < 2 || !text.EndsWith('"') || !(text.StartsWith('"') || text.StartsWith("W/\"", StringComparison.Ordinal)))
        {
            problem = Problems.Validation("If-Match", "If-Match must be '*' or one entity tag as returned in ETag.");
            return false;
        }

        ifMatch = new ETag(text);
        return true;
    }

    /// <summary>Whether the request says <c>If-None-Match: *</c> (create only).</summary>
    public static bool IsCreateOnly(HttpRequest request) => request.Headers.IfNoneMatch.ToString().Trim() == "*";

    /// <summary>Sets the response's <c>ETag</c>.</summary>
    public static void Set(HttpResponse response, ETag etag)
    {
        if (etag != default)
        {
            response.Headers.ETag = etag.ToString();
        }
    }
}
