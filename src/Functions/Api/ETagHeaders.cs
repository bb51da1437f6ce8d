using System.Text.RegularExpressions;
using Azure;

namespace Serverless.Functions.Api;

/// <summary>Reads <c>If-Match</c> / <c>If-None-Match</c> and writes <c>ETag</c>, the same way on every endpoint.</summary>
public static partial class ETagHeaders
{
    /// <summary>
    /// Parses <c>If-Match</c>: absent gives null, <c>*</c> gives <see cref="ETag.All"/>, one entity tag of the form
    /// the app issues gives that tag. Anything else (a tag the app never issued, <c>""</c>, a weak tag of
    /// another form, a list, text that is no entity tag at all) cannot name the current version of anything,
    /// so the precondition is false: 412, decided here, before storage sees a tag it would not understand.
    /// </summary>
    public static bool TryGetIfMatch(HttpRequest request, out ETag? ifMatch, out IResult? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
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

        if (values.Count > 1 || !IssuedTag().IsMatch(text))
        {
            problem = Problems.PreconditionFailed();
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

    /// <summary>
    /// The ETags we hand out are the Table service's row versions, all of one form:
    /// <c>W/"datetime'2026-11-30T11%3A58%3A39.2837611Z'"</c>.
    /// </summary>
    [GeneratedRegex("""^W/"datetime'[0-9A-Za-z%.:\-]{1,64}'"$""")]
    private static partial Regex IssuedTag();
}
