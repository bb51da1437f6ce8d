using System.Buffers;
using System.Globalization;
using System.Text;
using Azure.Core;
using Serverless.Storage.Http;

namespace Serverless.Storage.Blobs;

public sealed partial class BlobContainerClient
{
    /// <summary>The service's limit on committed blocks per blob.</summary>
    private const int MaxBlockCount = 50_000;

    /// <summary>
    /// Stores <paramref name="content"/> as block blob <paramref name="blobName"/>, reading the stream
    /// forward once (it need not be seekable or know its length). A stream that ends before
    /// <see cref="BlobUploadOptions.SingleUploadThreshold"/> bytes is sent with one Put Blob; a longer one
    /// is staged in blocks of <see cref="BlobUploadOptions.BlockSize"/> bytes and committed with Put Block
    /// List, so the blob appears whole or not at all. Memory held: one pooled buffer of the larger of the two sizes.
    /// </summary>
    /// <param name="blobName">The blob; 1 to 1,024 characters, not ending in '.' or '/'.</param>
    /// <param name="content">The bytes to store, read to the end; not disposed.</param>
    /// <param name="options">Properties, metadata, conditions and sizes; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the upload; staged blocks that were never committed are discarded by the service after a week.</param>
    /// <returns>The new ETag, last-modified time and stored length.</returns>
    /// <exception cref="ArgumentException">The name, metadata or sizes are not valid, or both conditions are set.</exception>
    /// <exception cref="StorageException">409 <c>BlobAlreadyExists</c> for a create-only upload of an existing blob; 412 for a stale <c>If-Match</c> or a missing lease id.</exception>
    public Task<BlobUploadResult> UploadAsync(string blobName, Stream content, BlobUploadOptions? options = null, CancellationToken cancellationToken = default) =>
        UploadCoreAsync(blobName, content, options ?? new BlobUploadOptions(), metadataAtCommit: null, cancellationToken);

    /// <summary>
    /// Like <see cref="UploadAsync"/>, but takes the metadata from <paramref name="metadataAtCommit"/> once the
    /// stream has ended (for values computed from the content as it streams, such as its hash), merged over
    /// <see cref="BlobUploadOptions.Metadata"/>.
    /// </summary>
    internal async Task<BlobUploadResult> UploadCoreAsync(
        string blobName,
        Stream content,
        BlobUploadOptions options,
        Func<IReadOnlyDictionary<string, string>>? metadataAtCommit,
        CancellationToken cancellationToken)
    {
        BlobNames.CheckBlob(blobName);
        ArgumentNullException.ThrowIfNull(content);
        CheckUploadOptions(options);

        var threshold = options.SingleUploadThreshold;
        var blockSize = options.BlockSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(threshold, blockSize));
        try
        {
            var filled = await ReadUntilFullAsync(content, buffer.AsMemory(0, threshold), cancellationToken).ConfigureAwait(false);
            if (filled < threshold)
            {
                var metadata = CommitMetadata(options, metadataAtCommit);
                return await PutBlobAsync(blobName, buffer.AsMemory(0, filled), options, metadata, cancellationToken).ConfigureAwait(false);
            }

            return await PutBlocksAsync(blobName, content, buffer, filled, options, metadataAtCommit, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void CheckUploadOptions(BlobUploadOptions options)
    {
        if (options.SingleUploadThreshold is < 0 or > BlobUploadOptions.MaxBufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SingleUploadThreshold, $"SingleUploadThreshold must be 0 to {BlobUploadOptions.MaxBufferSize} bytes.");
        }

        if (options.BlockSize is < 1 or > BlobUploadOptions.MaxBufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BlockSize, $"BlockSize must be 1 to {BlobUploadOptions.MaxBufferSize} bytes.");
        }
        if (options.IfNoneMatchAll && options.IfMatch is not null)
        {
            throw new ArgumentException("An upload cannot be both create-only (IfNoneMatchAll) and conditional on an ETag (IfMatch).", nameof(options));
        }

        BlobMetadata.Check(options.Metadata);
    }

    private static IReadOnlyDictionary<string, string>? CommitMetadata(BlobUploadOptions options, Func<IReadOnlyDictionary<string, string>>? metadataAtCommit)
    {
        if (metadataAtCommit is null)
        {
            return options.Metadata;
        }

        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in options.Metadata ?? new Dictionary<string, string>())
        {
            merged[name] = value;
        }

        foreach (var (name, value) in metadataAtCommit())
        {
            merged[name] = value;
        }

        BlobMetadata.Check(merged);
        return merged;
    }

    private async Task<BlobUploadResult> PutBlobAsync(
        string blobName, ReadOnlyMemory<byte> body, BlobUploadOptions options, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Put, BlobUrl(blobName));
        message.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        SetBlobHeaders(message, options, metadata);

        // Content over the pooled buffer's memory: the pipeline replays it unchanged on every retry.
        message.Request.Content = RequestContent.Create(body);
        await pipeline.SendStorageRequestAsync(message, $"Upload {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 201)
        {
            throw StorageErrors.FromResponse(message, $"Upload {Name}/{blobName}");
        }

        return new BlobUploadResult(BlobResponseHeaders.ETag(message.Response), BlobResponseHeaders.LastModified(message.Response), body.Length, 0);
    }

    /// <summary>
    /// Stages the stream in blocks, reusing <paramref name="buffer"/> (which holds <paramref name="filled"/>
    /// bytes already read), then commits the list. Conditions and properties go on the commit only:
    /// staging is invisible until then, so a create-only upload that loses the race leaves nothing behind.
    /// </summary>
    private async Task<BlobUploadResult> PutBlocksAsync(
        string blobName,
        Stream content,
        byte[] buffer,
        int filled,
        BlobUploadOptions options,
        Func<IReadOnlyDictionary<string, string>>? metadataAtCommit,
        CancellationToken cancellationToken)
    {
        var blockSize = options.BlockSize;

        // One random prefix per upload: two uploads racing on one name never stage into each other's blocks.
        var uploadId = Guid.NewGuid().ToString("N");
        var blockIds = new List<string>();
        long total = 0;
        while (true)
        {
            var offset = 0;
            while (filled - offset >= blockSize)
            {
                await PutBlockAsync(blobName, uploadId, blockIds, buffer.AsMemory(offset, blockSize), options.LeaseId, cancellationToken).ConfigureAwait(false);
                offset += blockSize;
                total += blockSize;
            }

            if (offset > 0)
            {
                // Keep the tail that did not fill a block (only when the threshold is not a multiple of the block size).
                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }

            filled += await ReadUntilFullAsync(content, buffer.AsMemory(filled, blockSize - filled), cancellationToken).ConfigureAwait(false);
            if (filled < blockSize)
            {
                if (filled > 0)
                {
                    await PutBlockAsync(blobName, uploadId, blockIds, buffer.AsMemory(0, filled), options.LeaseId, cancellationToken).ConfigureAwait(false);
                    total += filled;
                }

                break;
            }
        }

        var metadata = CommitMetadata(options, metadataAtCommit);
        using var message = CreateMessage(RequestMethod.Put, BlobUrl(blobName) + "?comp=blocklist");
        SetBlobHeaders(message, options, metadata);
        message.Request.Content = RequestContent.Create(BlockListXml(blockIds));
        await pipeline.SendStorageRequestAsync(message, $"Upload {Name}/{blobName} (commit {blockIds.Count} blocks)", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 201)
        {
            throw StorageErrors.FromResponse(message, $"Upload {Name}/{blobName} (commit {blockIds.Count} blocks)");
        }

        return new BlobUploadResult(BlobResponseHeaders.ETag(message.Response), BlobResponseHeaders.LastModified(message.Response), total, blockIds.Count);
    }

    private async Task PutBlockAsync(string blobName, string uploadId, List<string> blockIds, ReadOnlyMemory<byte> block, string? leaseId, CancellationToken cancellationToken)
    {
        if (blockIds.Count == MaxBlockCount)
        {
            throw new InvalidOperationException($"Upload {Name}/{blobName}: the content needs more than {MaxBlockCount} blocks of {block.Length} bytes; use a larger BlockSize.");
        }

        // Every id of a blob must have the same length: a fixed-width index after a fixed-width prefix.
        var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{uploadId}-{blockIds.Count:D6}")));
        using var message = CreateMessage(RequestMethod.Put, BlobUrl(blobName) + "?comp=block&blockid=" + Uri.EscapeDataString(blockId));
        if (leaseId is not null)
        {
            message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        }

        message.Request.Content = RequestContent.Create(block);
        await pipeline.SendStorageRequestAsync(message, $"Upload {Name}/{blobName} (block {blockIds.Count})", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 201)
        {
            throw StorageErrors.FromResponse(message, $"Upload {Name}/{blobName} (block {blockIds.Count})");
        }

        blockIds.Add(blockId);
    }

    /// <summary>
    /// Content type and encoding go in the <c>x-ms-blob-content-*</c> headers: they describe the stored blob,
    /// and Azurite reads the encoding only from that form. The request's own Content-Encoding would claim
    /// the body is encoded for transport, which it is not.
    /// </summary>
    private static void SetBlobHeaders(HttpMessage message, BlobUploadOptions options, IReadOnlyDictionary<string, string>? metadata)
    {
        var headers = message.Request.Headers;
        if (!string.IsNullOrEmpty(options.ContentType))
        {
            headers.SetValue("x-ms-blob-content-type", options.ContentType);
        }

        if (!string.IsNullOrEmpty(options.ContentEncoding))
        {
            headers.SetValue("x-ms-blob-content-encoding", options.ContentEncoding);
        }

        BlobMetadata.Write(message.Request, metadata);
        SetConditions(message, options.IfNoneMatchAll, options.IfMatch, options.LeaseId);
    }

    private static byte[] BlockListXml(List<string> blockIds)
    {
        // Base64 ids need no XML escaping.
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>", 64 + (blockIds.Count * 80));
        foreach (var id in blockIds)
        {
            xml.Append("<Latest>").Append(id).Append("</Latest>");
        }

        return Encoding.UTF8.GetBytes(xml.Append("</BlockList>").ToString());
    }
}
