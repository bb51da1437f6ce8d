using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Serverless.Storage.Payloads;

/// <summary>
/// Stores large payloads (message content, tool output, snapshots) as compressed blobs, each under a fresh
/// name that is never overwritten, and reads them back inflated with a cap on how far they may expand.
/// </summary>
/// <remarks>
/// Write the blob first, then commit the table row holding the <see cref="PayloadReference"/>; delete the row,
/// then the blob (design.md §3). A blob written but never referenced is an orphan for the sweeper, never a
/// corruption; a reference whose blob is missing is one, and reads say so with a 404 <see cref="RequestFailedException"/>.
/// Each blob records its codec in its name's extension, its Content-Encoding and its <c>codec</c> metadata, with
/// <c>rawbytes</c> and <c>sha256</c> of the raw content, so any reader can inflate and verify it: a plain
/// <see cref="BlobClient"/> download that decompresses per Content-Encoding gets the raw payload back.
/// </remarks>
public sealed class PayloadStore
{
    private readonly BlobContainerClient container;
    private readonly PayloadStoreOptions options;

    /// <summary>Creates a store over <paramref name="container"/> (which must exist).</summary>
    /// <param name="container">Where payload blobs live.</param>
    /// <param name="options">Codec and limits; <see cref="PayloadStoreOptions"/> defaults when null.</param>
    public PayloadStore(BlobContainerClient container, PayloadStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        options ??= new PayloadStoreOptions();
        if (options.Codec is null)
        {
            throw new ArgumentException("PayloadStoreOptions.Codec must be set.", nameof(options));
        }

        if (options.MaxExpandedBytes < 1 || options.MaxExpansionRatio < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxExpandedBytes and MaxExpansionRatio must be at least 1.");
        }

        this.container = container;

        // A snapshot: changing the options object later does not change a store already in use.
        this.options = new PayloadStoreOptions
        {
            Codec = options.Codec,
            MaxExpandedBytes = options.MaxExpandedBytes,
            MaxExpansionRatio = options.MaxExpansionRatio,
            SingleUploadThreshold = options.SingleUploadThreshold,
            BlockSize = options.BlockSize,
        };
        if (this.options.SingleUploadThreshold is < 0 or > PayloadStoreOptions.MaxBufferSize || this.options.BlockSize is < 1 or > PayloadStoreOptions.MaxBufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"SingleUploadThreshold must be 0 to {PayloadStoreOptions.MaxBufferSize} bytes and BlockSize 1 to {PayloadStoreOptions.MaxBufferSize}.");
        }
    }

    /// <summary>The codec new payloads are written with.</summary>
    public PayloadCodec Codec => options.Codec;

    /// <summary>
    /// Compresses <paramref name="content"/> as it streams into a new blob <c>{namePrefix}/{random 128-bit hex}{extension}</c>,
    /// created only if absent. Memory stays bounded (one input chunk and one upload block) whatever the length.
    /// </summary>
    /// <param name="namePrefix">The blob name's folder, e.g. <c>{userKey}/msg/{threadId}</c>; not starting or ending with '/'.</param>
    /// <param name="content">The raw payload, read to its end; not disposed.</param>
    /// <param name="contentType">The raw payload's content type, e.g. <c>application/json</c>.</param>
    /// <param name="cancellationToken">Cancels the write; a blob is then either absent or complete (an orphan for the sweeper).</param>
    /// <returns>The reference to keep in the table row.</returns>
    public Task<PayloadReference> WriteAsync(string namePrefix, Stream content, string contentType, CancellationToken cancellationToken = default) =>
        WriteAsync(namePrefix, content, contentType, options.Codec, cancellationToken);

    /// <summary>
    /// Writes like <see cref="WriteAsync(string, Stream, string, CancellationToken)"/> with <paramref name="codec"/> instead of the
    /// store's: <see cref="PayloadCodec.Identity"/> stores content that does not compress (images, archives) as it is, still
    /// counted and hashed.
    /// </summary>
    /// <param name="namePrefix">The blob name's folder; not starting or ending with '/'.</param>
    /// <param name="content">The raw payload, read to its end; not disposed.</param>
    /// <param name="contentType">The raw payload's content type.</param>
    /// <param name="codec">The codec to write with.</param>
    /// <param name="cancellationToken">Cancels the write; a blob is then either absent or complete (an orphan for the sweeper).</param>
    /// <returns>The reference to keep in the table row.</returns>
    public async Task<PayloadReference> WriteAsync(string namePrefix, Stream content, string contentType, PayloadCodec codec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentException.ThrowIfNullOrEmpty(namePrefix);
        if (namePrefix.StartsWith('/') || namePrefix.EndsWith('/'))
        {
            throw new ArgumentException("The name prefix must not start or end with '/'; the store adds the separator.", nameof(namePrefix));
        }

        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);

        var blobName = $"{namePrefix}/{RandomNumberGenerator.GetHexString(32, lowercase: true)}{codec.FileExtension}";
        var blob = container.GetBlockBlobClient(blobName);
        var headers = new BlobHttpHeaders { ContentType = contentType, ContentEncoding = codec.ContentEncoding };
        using var compressing = new CompressingReadStream(content, codec);

        // The name is fresh, so "already exists" met by a retry is this write's own first try having committed.
        await StorageWrites.CreateBlobOnceAsync(
            () => UploadAsync(blob, compressing, headers, () => Metadata(codec, compressing), cancellationToken),
            () => IsOwnWriteAsync(blob, compressing, cancellationToken)).ConfigureAwait(false);

        return new PayloadReference(blobName, codec.Name, contentType, compressing.RawBytes, compressing.StoredBytes, compressing.Sha256);
    }

    /// <summary>Opens a stored payload for reading, inflated and checked against <paramref name="reference"/>'s length and hash.</summary>
    /// <inheritdoc cref="OpenReadAsync(string, CancellationToken)"/>
    public Task<Stream> OpenReadAsync(PayloadReference reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return OpenCoreAsync(reference.BlobName, reference.RawBytes, reference.Sha256, cancellationToken, lengthFromReference: true);
    }

    /// <summary>
    /// Opens a payload blob for reading, inflated with the codec its Content-Encoding names (whatever the
    /// store's current codec), and checked at the end against the length and hash in its metadata, if any.
    /// </summary>
    /// <returns>A forward-only stream; dispose it to release the connection.</returns>
    /// <exception cref="RequestFailedException">404 when the blob is missing: for a referenced payload, that is corruption.</exception>
    /// <exception cref="PayloadTooLargeException">
    /// On open or while reading: the payload inflates past <see cref="PayloadStoreOptions.MaxExpandedBytes"/>, or past
    /// <see cref="PayloadStoreOptions.MaxExpansionRatio"/> times its stored size (above <see cref="PayloadStoreOptions.RatioFloorBytes"/>).
    /// </exception>
    /// <exception cref="InvalidDataException">The encoding is unknown, or the content is corrupt or does not match its recorded length or hash.</exception>
    public Task<Stream> OpenReadAsync(string blobName, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(blobName, expectedBytes: null, expectedSha256: null, cancellationToken);

    /// <summary>
    /// Opens a payload's blob as stored (compressed with its codec, not inflated nor checked), from byte
    /// <paramref name="offset"/> of the stored bytes, <paramref name="length"/> bytes or to the end: what an HTTP client
    /// that accepts the codec's Content-Encoding can take as is, and, for <see cref="PayloadCodec.Identity"/>, any range of
    /// the raw payload at the cost of that range.
    /// </summary>
    /// <returns>A forward-only stream; dispose it to release the connection.</returns>
    /// <exception cref="RequestFailedException">404 when the blob is missing.</exception>
    public async Task<Stream> OpenStoredAsync(PayloadReference reference, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var range = offset == 0 && length is null ? default : new HttpRange(offset, length);
        var download = await container.GetBlobClient(reference.BlobName).DownloadStreamingAsync(new BlobDownloadOptions { Range = range }, cancellationToken).ConfigureAwait(false);
        return download.Value.Content;
    }

    /// <summary>Reads a small payload whole as UTF-8 text (the expansion limits still apply).</summary>
    /// <inheritdoc cref="OpenReadAsync(string, CancellationToken)"/>
    public async Task<string> ReadAllTextAsync(PayloadReference reference, CancellationToken cancellationToken = default) =>
        await ReadTextAsync(await OpenReadAsync(reference, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Reads a small payload blob whole as UTF-8 text (the expansion limits still apply).</summary>
    /// <inheritdoc cref="OpenReadAsync(string, CancellationToken)"/>
    public async Task<string> ReadAllTextAsync(string blobName, CancellationToken cancellationToken = default) =>
        await ReadTextAsync(await OpenReadAsync(blobName, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Deletes a payload's blob (after the row that referenced it is gone).</summary>
    /// <returns><c>true</c> if this call deleted it, <c>false</c> if it did not exist.</returns>
    public Task<bool> DeleteAsync(PayloadReference reference, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return container.GetBlobClient(reference.BlobName).DeleteBlobAsync(cancellationToken);
    }

    private static async Task<string> ReadTextAsync(Stream stream, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, string> Metadata(PayloadCodec codec, CompressingReadStream written) => new(StringComparer.Ordinal)
    {
        ["codec"] = codec.Name,
        ["rawbytes"] = written.RawBytes.ToString(CultureInfo.InvariantCulture),
        ["sha256"] = written.Sha256,
    };

    private static async Task<bool> IsOwnWriteAsync(BlockBlobClient blob, CompressingReadStream written, CancellationToken cancellationToken)
    {
        try
        {
            var stored = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return stored.ContentLength == written.StoredBytes
                && stored.Metadata.TryGetValue("sha256", out var sha) && sha == written.Sha256;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Uploads the compressed stream, reading it forward once: content that ends before
    /// <see cref="PayloadStoreOptions.SingleUploadThreshold"/> goes up with one Put Blob; longer content is
    /// staged in blocks of <see cref="PayloadStoreOptions.BlockSize"/> and committed with Put Block List, so
    /// the blob appears whole or not at all. Both are create-only (<c>If-None-Match: *</c>), and the metadata
    /// (length and hash, known only at the end) goes with the request that creates the blob. Memory held:
    /// one pooled buffer of the larger of the two sizes.
    /// </summary>
    private async Task UploadAsync(BlockBlobClient blob, Stream content, BlobHttpHeaders headers, Func<IDictionary<string, string>> metadata, CancellationToken cancellationToken)
    {
        var threshold = options.SingleUploadThreshold;
        var blockSize = options.BlockSize;
        var createOnly = new BlobRequestConditions { IfNoneMatch = ETag.All };
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(threshold, blockSize));
        try
        {
            var filled = await ReadUntilFullAsync(content, buffer.AsMemory(0, threshold), cancellationToken).ConfigureAwait(false);
            if (filled < threshold)
            {
                using var body = new MemoryStream(buffer, 0, filled, writable: false);
                await blob.UploadAsync(body, new BlobUploadOptions { HttpHeaders = headers, Metadata = metadata(), Conditions = createOnly }, cancellationToken).ConfigureAwait(false);
                return;
            }

            // One random prefix per upload: two uploads racing on one name never stage into each other's blocks.
            var uploadId = Guid.NewGuid().ToString("N");
            var blockIds = new List<string>();
            while (true)
            {
                var offset = 0;
                while (filled - offset >= blockSize)
                {
                    await StageAsync(blob, uploadId, blockIds, buffer, offset, blockSize, cancellationToken).ConfigureAwait(false);
                    offset += blockSize;
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
                        await StageAsync(blob, uploadId, blockIds, buffer, 0, filled, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                }
            }

            await blob.CommitBlockListAsync(blockIds, new CommitBlockListOptions { HttpHeaders = headers, Metadata = metadata(), Conditions = createOnly }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task StageAsync(BlockBlobClient blob, string uploadId, List<string> blockIds, byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (blockIds.Count == PayloadStoreOptions.MaxBlockCount)
        {
            throw new InvalidOperationException($"Payload {blob.Name} needs more than {PayloadStoreOptions.MaxBlockCount} blocks of {count} bytes; use a larger BlockSize.");
        }

        // Every id of a blob must have the same length: a fixed-width index after a fixed-width prefix.
        var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{uploadId}-{blockIds.Count:D6}")));
        using var block = new MemoryStream(buffer, offset, count, writable: false);
        await blob.StageBlockAsync(blockId, block, cancellationToken: cancellationToken).ConfigureAwait(false);
        blockIds.Add(blockId);
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

    private async Task<Stream> OpenCoreAsync(string blobName, long? expectedBytes, string? expectedSha256, CancellationToken cancellationToken, bool lengthFromReference = false)
    {
        var download = (await container.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        try
        {
            var details = download.Details;
            var codec = PayloadCodec.ForContentEncoding(details.ContentEncoding)
                ?? throw new InvalidDataException($"Payload {blobName} has Content-Encoding '{details.ContentEncoding}', which no codec reads.");

            // A reference from the table row outranks the blob's own metadata: it is what the row was committed with.
            var metadata = new Dictionary<string, string>(details.Metadata, StringComparer.OrdinalIgnoreCase);
            expectedBytes ??= metadata.TryGetValue("rawbytes", out var raw) && long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : null;
            expectedSha256 ??= metadata.GetValueOrDefault("sha256");

            // A reference's length was recorded by our own write and is enforced exactly, so it is the limit
            // (under the absolute cap); the ratio guard is for blobs whose length we only have their word for.
            // Without that, a well-compressing payload of our own (repetitive text) could not be read back.
            var limit = lengthFromReference && expectedBytes is { } recorded
                ? Math.Min(options.MaxExpandedBytes, Math.Max(recorded, 0))
                : ExpansionLimit(details.ContentLength);

            if (expectedBytes > limit)
            {
                throw new PayloadTooLargeException(blobName, limit, $"Payload {blobName} is recorded as {expectedBytes} bytes, more than the {limit} this reader allows.");
            }

            return new ExpansionLimitStream(codec.Decompress(download.Content), blobName, limit, expectedBytes, expectedSha256);
        }
        catch
        {
            download.Dispose();
            throw;
        }
    }

    /// <summary>The fewer of the absolute cap and the ratio cap, with the ratio never cutting below the floor.</summary>
    private long ExpansionLimit(long storedBytes)
    {
        var byRatio = storedBytes > (long.MaxValue / options.MaxExpansionRatio) ? long.MaxValue : storedBytes * options.MaxExpansionRatio;
        return Math.Min(options.MaxExpandedBytes, Math.Max(PayloadStoreOptions.RatioFloorBytes, byRatio));
    }
}
