namespace Serverless.Storage.Blobs;

/// <summary>
/// A download in progress: the response body as a stream read straight from the connection (not
/// buffered), and the blob's properties. Dispose it, or its <see cref="Content"/>, to release the connection.
/// </summary>
public sealed class BlobDownloadResult : IDisposable, IAsyncDisposable
{
    internal BlobDownloadResult(Stream content, BlobProperties properties, long contentLength, string? contentRange)
    {
        Content = content;
        Properties = properties;
        ContentLength = contentLength;
        ContentRange = contentRange;
    }

    /// <summary>The body: the whole blob, or the requested range. Read once, forward only; the pipeline does not retry a body read that fails midway.</summary>
    public Stream Content { get; }

    /// <summary>The blob's properties; <see cref="BlobProperties.ContentLength"/> is the whole blob's size.</summary>
    public BlobProperties Properties { get; }

    /// <summary>The number of bytes in <see cref="Content"/>.</summary>
    public long ContentLength { get; }

    /// <summary>For a ranged download, the service's <c>Content-Range</c> (e.g. <c>bytes 0-99/1000</c>); otherwise <c>null</c>.</summary>
    public string? ContentRange { get; }

    /// <summary>Releases the connection.</summary>
    public void Dispose() => Content.Dispose();

    /// <summary>Releases the connection.</summary>
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
