using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Serverless.Storage.Http;

namespace Serverless.Storage.Blobs;

/// <summary>
/// One container of the Blob service over Azure.Core's pipeline: create and delete the container;
/// upload (single or in blocks, never buffering a whole stream), download as a stream, read
/// properties, delete and list blobs; and blob leases. The only code that knows blob URLs and headers.
/// </summary>
/// <remarks>
/// Failures surface as <see cref="StorageException"/> with the service's status and error code.
/// A conditional write retried by the pipeline after a lost response can meet its own first
/// attempt (409 on create-only, 412 on <c>If-Match</c>); <see cref="StorageException.WasRetried"/>
/// tells callers to read back before treating it as a real conflict.
/// </remarks>
public sealed partial class BlobContainerClient
{
    /// <summary>Error bodies are a few hundred bytes; read no more than this of an unbuffered one.</summary>
    private const int MaxErrorBodyBytes = 64 * 1024;

    private readonly HttpPipeline pipeline;
    private readonly string containerUrl;

    /// <summary>Creates a client for container <paramref name="containerName"/> of the account in <paramref name="connection"/>.</summary>
    /// <param name="connection">The account and its credentials.</param>
    /// <param name="containerName">3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.</param>
    /// <param name="options">Retry, timeout and diagnostics settings; <see cref="StorageClientOptions"/> defaults when null.</param>
    /// <exception cref="ArgumentException">The container name is not valid.</exception>
    public BlobContainerClient(StorageConnection connection, string containerName, StorageClientOptions? options = null)
        : this(StoragePipeline.Create(connection ?? throw new ArgumentNullException(nameof(connection)), options ?? new StorageClientOptions(), StoragePipeline.Service.Blob), connection.BlobEndpoint, containerName)
    {
    }

    internal BlobContainerClient(HttpPipeline pipeline, Uri endpoint, string containerName)
    {
        BlobNames.CheckContainer(containerName);
        this.pipeline = pipeline;
        containerUrl = endpoint.AbsoluteUri + containerName;
        Name = containerName;
    }

    /// <summary>The container's name.</summary>
    public string Name { get; }

    /// <summary>Creates the container (private, no public access) unless it exists.</summary>
    /// <exception cref="StorageException">The service refused, e.g. 409 <c>ContainerBeingDeleted</c> right after a delete.</exception>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, containerUrl + "?restype=container");
        SetEmptyBody(message);
        await pipeline.SendStorageRequestAsync(message, $"Create container {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status == 201)
        {
            return;
        }

        var error = StorageErrors.FromResponse(message, $"Create container {Name}");
        if (error.IsConflict && error.ErrorCode == "ContainerAlreadyExists")
        {
            return;
        }

        throw error;
    }

    /// <summary>Deletes the container and every blob in it; a missing container is not an error.</summary>
    public async Task DeleteContainerAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, containerUrl + "?restype=container");
        await pipeline.SendStorageRequestAsync(message, $"Delete container {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status is not (202 or 404))
        {
            throw StorageErrors.FromResponse(message, $"Delete container {Name}");
        }
    }

    /// <summary>Reads a blob's properties and metadata (one HEAD request).</summary>
    /// <returns>The properties, or <c>null</c> when the blob (or the container) does not exist.</returns>
    public async Task<BlobProperties?> GetPropertiesAsync(string blobName, CancellationToken cancellationToken = default)
    {
        BlobNames.CheckBlob(blobName);
        using var message = CreateMessage(RequestMethod.Head, BlobUrl(blobName));
        await pipeline.SendStorageRequestAsync(message, $"Get properties of {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        return message.Response.Status switch
        {
            200 => BlobResponseHeaders.ReadProperties(message.Response),
            404 => null,
            _ => throw StorageErrors.FromResponse(message, $"Get properties of {Name}/{blobName}"),
        };
    }

    /// <summary>Deletes a blob and its snapshots.</summary>
    /// <param name="blobName">The blob.</param>
    /// <param name="ifMatch">Delete only this version (412 otherwise); any version when null.</param>
    /// <param name="leaseId">The active lease's id; required when the blob is leased (412 <c>LeaseIdMissing</c> otherwise).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns><c>true</c> if this call deleted it, <c>false</c> if it did not exist.</returns>
    /// <exception cref="StorageException">412 when the ETag is stale or the lease id is missing or wrong.</exception>
    public async Task<bool> DeleteAsync(string blobName, ETag? ifMatch = null, string? leaseId = null, CancellationToken cancellationToken = default)
    {
        BlobNames.CheckBlob(blobName);
        using var message = CreateMessage(RequestMethod.Delete, BlobUrl(blobName));
        message.Request.Headers.SetValue("x-ms-delete-snapshots", "include");
        SetConditions(message, ifNoneMatchAll: false, ifMatch, leaseId);
        await pipeline.SendStorageRequestAsync(message, $"Delete {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        return message.Response.Status switch
        {
            202 => true,

            // A retried delete that finds nothing: the lost first attempt is what removed it.
            404 => StorageErrors.WasRetried(message),
            _ => throw StorageErrors.FromResponse(message, $"Delete {Name}/{blobName}"),
        };
    }

    private HttpMessage CreateMessage(RequestMethod method, string url)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(url));
        return message;
    }

    private string BlobUrl(string blobName) => containerUrl + "/" + BlobNames.EscapePath(blobName);

    /// <summary>PUTs without a body still need <c>Content-Length: 0</c> (Azure answers 411 without it).</summary>
    private static void SetEmptyBody(HttpMessage message) => message.Request.Content = RequestContent.Create(ReadOnlyMemory<byte>.Empty);

    private static void SetConditions(HttpMessage message, bool ifNoneMatchAll, ETag? ifMatch, string? leaseId)
    {
        var headers = message.Request.Headers;
        if (ifNoneMatchAll)
        {
            headers.SetValue(HttpHeader.Names.IfNoneMatch, "*");
        }

        if (ifMatch is { } etag)
        {
            headers.SetValue(HttpHeader.Names.IfMatch, etag == ETag.All ? "*" : etag.ToString("H"));
        }

        if (leaseId is not null)
        {
            headers.SetValue("x-ms-lease-id", leaseId);
        }
    }

    /// <summary>
    /// Builds the exception for a failed response that was not buffered (downloads): reads up to
    /// <see cref="MaxErrorBodyBytes"/> of the body so the error code and message can be parsed.
    /// </summary>
    private static async Task<StorageException> UnbufferedFailureAsync(HttpMessage message, string operation, CancellationToken cancellationToken)
    {
        var response = message.Response;
        if (response.ContentStream is { } body and not MemoryStream)
        {
            var buffer = new byte[MaxErrorBodyBytes];
            var filled = await ReadUntilFullAsync(body, buffer, cancellationToken).ConfigureAwait(false);
            await body.DisposeAsync().ConfigureAwait(false);
            response.ContentStream = new MemoryStream(buffer, 0, filled, writable: false);
        }

        return StorageErrors.FromResponse(message, operation);
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    private static async Task<int> ReadUntilFullAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }
}
