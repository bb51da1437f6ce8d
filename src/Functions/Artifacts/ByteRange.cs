using Microsoft.Net.Http.Headers;

namespace Serverless.Functions.Artifacts;

/// <summary>What a request's <c>Range</c> asks of content of a known length (RFC 9110 §14).</summary>
public enum RangeRequest
{
    /// <summary>No range, or one this server ignores (another unit, invalid, several ranges): the whole content, 200.</summary>
    Whole,

    /// <summary>One satisfiable range: 206 with <see cref="ByteRange.First"/> to <see cref="ByteRange.Last"/>.</summary>
    Partial,

    /// <summary>A range that starts past the end (or an empty suffix): 416 with <c>Content-Range: bytes */length</c>.</summary>
    Unsatisfiable,
}

/// <summary>
/// One byte range of a representation, resolved against its length. Only single ranges are served; a request for
/// several gets the whole content (a server may ignore <c>Range</c>, RFC 9110 §14.2), which spares a multipart body.
/// </summary>
/// <param name="Kind">What the request gets.</param>
/// <param name="First">The first byte (for <see cref="RangeRequest.Partial"/>).</param>
/// <param name="Last">The last byte, inclusive (for <see cref="RangeRequest.Partial"/>).</param>
public readonly record struct ByteRange(RangeRequest Kind, long First = 0, long Last = -1)
{
    /// <summary>The bytes in the range.</summary>
    public long Length => Last - First + 1;

    /// <summary>Resolves a <c>Range</c> header (parsed by ASP.NET Core's <see cref="RangeHeaderValue"/>) against <paramref name="length"/>.</summary>
    public static ByteRange Resolve(string? header, long length)
    {
        if (string.IsNullOrEmpty(header) || !RangeHeaderValue.TryParse(header, out var parsed)
            || !parsed.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return new ByteRange(RangeRequest.Whole);
        }

        var range = parsed.Ranges.Single();
        if (range.From is { } from)
        {
            // bytes=first-last or bytes=first-: satisfiable when it starts inside the content; the end is clamped to it.
            return from < length
                ? new ByteRange(RangeRequest.Partial, from, Math.Min(range.To ?? long.MaxValue, length - 1))
                : new ByteRange(RangeRequest.Unsatisfiable);
        }

        // bytes=-n: the last n bytes (all of a shorter content); unsatisfiable only for n = 0 or empty content.
        var suffix = range.To ?? 0;
        return suffix > 0 && length > 0
            ? new ByteRange(RangeRequest.Partial, Math.Max(0, length - suffix), length - 1)
            : new ByteRange(RangeRequest.Unsatisfiable);
    }
}
