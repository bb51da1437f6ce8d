namespace Serverless.Functions.Artifacts;

/// <summary>
/// Writes a stream as a response body with the status, type and length given, and disposes it: 200 and 206 answers of
/// artifact content (ASP.NET Core's stream results would answer 200 only, or need a seekable stream for ranges).
/// </summary>
internal sealed class ContentResult(int status, string contentType, long length, Stream content) : IResult, IStatusCodeHttpResult
{
    private const int CopyBufferBytes = 64 * 1024;

    public int? StatusCode => status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        await using (content.ConfigureAwait(false))
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = contentType;
            response.ContentLength = length;
            await content.CopyToAsync(response.Body, CopyBufferBytes, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
