using Serverless.Storage.Http;
using Azure.Core;

namespace Serverless.Storage.Blobs;

public sealed partial class BlobContainerClient
{
    /// <summary>
    /// Starts downloading a blob, or a range of it, and returns as soon as the headers arrive: the body
    /// is read from the connection as the caller reads <see cref="BlobDownloadResult.Content"/>, never buffered whole.
    /// </summary>
    /// <param name="blobName">The blob.</param>
    /// <param name="range">The bytes to read; the whole blob when null.</param>
    /// <param name="cancellationToken">Cancels the request (reads of the body take their own token).</param>
    /// <returns>The body stream and the blob's properties; dispose it to release the connection.</returns>
    /// <exception cref="StorageException">404 when the blob does not exist; 416 <c>InvalidRange</c> when the range starts past the end.</exception>
    public async Task<BlobDownloadResult> DownloadAsync(string blobName, BlobRange? range = null, CancellationToken cancellationToken = default)
    {
        BlobNames.CheckBlob(blobName);
        using var message = CreateMessage(RequestMethod.Get, BlobUrl(blobName));
        if (range is { } r)
        {
            message.Request.Headers.SetValue("x-ms-range", r.ToString());
        }

        message.BufferResponse = false;
        await pipeline.SendStorageRequestAsync(message, $"Download {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status is not (200 or 206))
        {
            throw await UnbufferedFailureAsync(message, $"Download {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        }

        var properties = BlobResponseHeaders.ReadProperties(response);
        var length = BlobResponseHeaders.ContentLength(response);
        var contentRange = response.Status == 206 ? BlobResponseHeaders.Value(response, "Content-Range") : null;

        // Taking the stream out of the message keeps disposing the message from closing it; the result now owns the connection.
        var content = message.ExtractResponseContent() ?? new MemoryStream([], writable: false);
        return new BlobDownloadResult(content, properties, length, contentRange);
    }
}
