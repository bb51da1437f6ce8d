using System.Globalization;
using Azure;
using Azure.Core;

namespace Serverless.Storage.Blobs;

/// <summary>Reads blob properties from the headers of Get Blob, Get Blob Properties and write responses.</summary>
internal static class BlobResponseHeaders
{
    public static BlobProperties ReadProperties(Response response)
    {
        var headers = response.Headers;
        var length = ContentLength(response);

        // A ranged answer's Content-Length is the range; the blob's size is after the '/' of Content-Range.
        if (headers.TryGetValue("Content-Range", out var range) && TotalFromContentRange(range) is { } total)
        {
            length = total;
        }

        return new BlobProperties(
            length,
            Value(response, "Content-Type"),
            Value(response, "Content-Encoding"),
            ETag(response),
            LastModified(response),
            BlobMetadata.Read(response),
            Value(response, "x-ms-lease-state"));
    }

    public static long ContentLength(Response response) =>
        response.Headers.TryGetValue("Content-Length", out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : 0;

    public static ETag ETag(Response response) => response.Headers.ETag ?? default;

    public static DateTimeOffset LastModified(Response response) =>
        response.Headers.TryGetValue("Last-Modified", out var text) ? ParseHttpDate(text) : default;

    public static DateTimeOffset ParseHttpDate(string text) =>
        DateTimeOffset.TryParseExact(text.Trim(), "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : default;

    public static string? Value(Response response, string name) =>
        response.Headers.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary>The total in <c>bytes 0-99/1000</c>, or null when absent or <c>*</c>.</summary>
    private static long? TotalFromContentRange(string contentRange)
    {
        var slash = contentRange.LastIndexOf('/');
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total) ? total : null;
    }
}
