using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Net.Http.Headers;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Conversations;
using Serverless.Functions.Identity;
using Serverless.Storage.Artifacts;

namespace Serverless.Functions.Artifacts;

/// <summary>
/// <c>GET /api/v1/artifacts/{id}/content</c>: the content with its stored Content-Type, streamed (bounded memory whatever
/// its size), as an attachment that a browser neither sniffs nor runs as this origin's content. One byte range
/// (<see cref="ByteRange"/>) answers 206; <c>If-None-Match</c> with the current ETag answers 304; a client that accepts br
/// gets content stored Brotli-compressed as stored, without inflating it here.
/// </summary>
/// <remarks>
/// Ranges are of the content as uploaded. Stored as is (images, archives, unknown types), a range is read from the blob at
/// that range; stored compressed (text types), the blob is inflated from its start and the bytes before the range are
/// skipped, which costs their decompression (hundreds of MB/s for Brotli) but no memory. A Brotli range is never served:
/// a client could not decode a cut-out of a compressed stream.
/// </remarks>
public static class ArtifactContentEndpoint
{
    /// <summary>One artifact's content.</summary>
    public const string Route = "v1/artifacts/{id}/content";

    /// <summary>
    /// Types a browser may render as a document or run as script (HTML, XML and SVG, JavaScript, PDF): served with
    /// <c>Content-Security-Policy: sandbox</c>, so that even opened directly they run in an opaque origin.
    /// </summary>
    private static readonly HashSet<string> ActiveTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/xsl", "application/xslt+xml",
        "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript", "application/x-javascript",
        "application/pdf", "application/x-shockwave-flash", "multipart/x-mixed-replace",
    };

    /// <summary>Maps the operation onto the artifacts group, named as its function.</summary>
    public static void Map(RouteGroupBuilder artifacts) =>
        artifacts.MapGet(Route, GetArtifactContent).WithName(nameof(ArtifactFunctions.GetArtifactContent))
            .WithSummary("Downloads an artifact's content with its stored Content-Type: one byte range (206), If-None-Match (304), br as stored per Accept-Encoding.")
            .AnswersBytes().Produces<Stream>(StatusCodes.Status206PartialContent, "application/octet-stream").Produces(StatusCodes.Status304NotModified)
            .AddOpenApiOperationTransformer(ArtifactOpenApi.DescribeDownload).ProducesProblems(404, 416);

    /// <summary>GET the content.</summary>
    public static async Task<IResult> GetArtifactContent(string id, HttpRequest request, HttpResponse response, CurrentUser user, ArtifactStore store, CancellationToken cancellationToken)
    {
        var artifact = ArtifactStore.IsId(id) ? await store.GetAsync(user.Partition, id, cancellationToken) : null;
        if (artifact is null)
        {
            return Problems.NotFound("artifact");
        }

        var content = artifact.Content;
        var identityTag = new EntityTagHeaderValue($"\"{content.Sha256}\"");
        var range = ByteRange.Resolve(request.Headers.Range, content.RawBytes);
        if (range.Kind != RangeRequest.Whole && !IfRangeHolds(request, identityTag))
        {
            range = new ByteRange(RangeRequest.Whole);
        }

        // Content stored Brotli-compressed goes out as stored to a client that prefers br, whole (a cut-out could not be decoded).
        var storedBr = !ArtifactStore.IsStoredAsIs(artifact);
        var sendStored = storedBr && range.Kind == RangeRequest.Whole && ContentCoding.Choose(request.Headers.AcceptEncoding.ToString()) == "br";
        var tag = sendStored ? new EntityTagHeaderValue($"\"{content.Sha256}.br\"") : identityTag;

        var headers = response.Headers;
        headers.ETag = tag.ToString();
        headers.CacheControl = "private, no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (storedBr)
        {
            headers.Vary = "Accept-Encoding";
        }

        if (NoneMatch(request, tag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        headers.AcceptRanges = "bytes";
        if (range.Kind == RangeRequest.Unsatisfiable)
        {
            headers.ContentRange = new ContentRangeHeaderValue(content.RawBytes).ToString();
            return Problems.Result(StatusCodes.Status416RangeNotSatisfiable, ProblemCodes.RangeNotSatisfiable, "The range is not satisfiable.",
                $"The content is {content.RawBytes.ToString(CultureInfo.InvariantCulture)} bytes long; ask for a range that starts inside it.");
        }

        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(artifact.Name);
        headers.ContentDisposition = disposition.ToString();
        if (IsActive(content.ContentType))
        {
            headers.ContentSecurityPolicy = "sandbox";
        }

        // The bytes are final as they are: a response compression layer must leave them alone.
        if (request.HttpContext.Features.Get<IHttpsCompressionFeature>() is { } compression)
        {
            compression.Mode = HttpsCompressionMode.DoNotCompress;
        }

        if (range.Kind == RangeRequest.Partial)
        {
            headers.ContentRange = new ContentRangeHeaderValue(range.First, range.Last, content.RawBytes).ToString();
            var part = await store.OpenContentAsync(artifact, range.First, range.Length, cancellationToken);
            return new ContentResult(StatusCodes.Status206PartialContent, content.ContentType, range.Length, part);
        }

        if (sendStored)
        {
            headers.ContentEncoding = "br";
            return new ContentResult(StatusCodes.Status200OK, content.ContentType, content.StoredBytes, await store.OpenStoredAsync(artifact, cancellationToken));
        }

        return new ContentResult(StatusCodes.Status200OK, content.ContentType, content.RawBytes, await store.OpenContentAsync(artifact, 0, null, cancellationToken));
    }

    /// <summary>Whether <paramref name="contentType"/> is one a browser may render or run (or does not parse, and so is treated as such).</summary>
    public static bool IsActive(string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
        {
            return true;
        }

        return ActiveTypes.Contains(type) || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>If-None-Match</c> (weak comparison, RFC 9110 §13.1.2): true when it names the representation's tag, or is *.</summary>
    private static bool NoneMatch(HttpRequest request, EntityTagHeaderValue tag) =>
        request.Headers.IfNoneMatch.Count > 0
        && EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags)
        && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(tag, useStrongComparison: false));

    /// <summary><c>If-Range</c> (RFC 9110 §13.1.5): absent, or the current strong ETag; a date or another tag means "send it all".</summary>
    private static bool IfRangeHolds(HttpRequest request, EntityTagHeaderValue tag) =>
        request.Headers.IfRange.Count == 0
        || (EntityTagHeaderValue.TryParse(request.Headers.IfRange.ToString(), out var given) && !given.IsWeak && given.Compare(tag, useStrongComparison: true));
}
