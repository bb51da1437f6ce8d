using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Serverless.Storage.Blobs;

namespace Serverless.Storage.Payloads;

/// <summary>
/// Stores large payloads (message content, tool output, snapshots) as compressed blobs, each under a fresh
/// name that is never overwritten, and reads them back inflated with a cap on how far they may expand.
/// </summary>
/// <remarks>
/// Write the blob first, then commit the table row holding the <see cref="PayloadReference"/>; delete the row,
/// then the blob (design.md §3). A blob written but never referenced is an orphan for the sweeper, never a
/// corruption; a reference whose blob is missing is one, and reads say so with a 404 <see cref="StorageException"/>.
/// Each blob records its codec in its name's extension, its Content-Encoding and its <c>codec</c> metadata, with
/// <c>rawbytes</c> and <c>sha256</c> of the raw content, so any reader can inflate and verify it.
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
    public async Task<PayloadReference> WriteAsync(string namePrefix, Stream content, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(namePrefix);
        if (namePrefix.StartsWith('/') || namePrefix.EndsWith('/'))
        {
            throw new ArgumentException("The name prefix must not start or end with '/'; the store adds the separator.", nameof(namePrefix));
        }

        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);

        var codec = options.Codec;
        var blobName = $"{namePrefix}/{RandomNumberGenerator.GetHexString(32, lowercase: true)}{codec.FileExtension}";
        var upload = new BlobUploadOptions
        {
            ContentType = contentType,
            ContentEncoding = codec.ContentEncoding,
            IfNoneMatchAll = true,
            SingleUploadThreshold = options.SingleUploadThreshold,
            BlockSize = options.BlockSize,
        };

        using var compressing = new CompressingReadStream(content, codec);
        try
        {
            // Length and hash are known only once the content has streamed through, which is just before the commit.
            await container.UploadCoreAsync(blobName, compressing, upload, () => Metadata(codec, compressing), cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException e) when (e.IsConflict && e.WasRetried)
        {
            // The name is fresh, so "already exists" on a retry is this write's own first attempt having committed.
            if (!await IsOwnWriteAsync(blobName, compressing, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
        }

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
    /// <exception cref="StorageException">404 when the blob is missing: for a referenced payload, that is corruption.</exception>
    /// <exception cref="PayloadTooLargeException">
    /// On open or while reading: the payload inflates past <see cref="PayloadStoreOptions.MaxExpandedBytes"/>, or past
    /// <see cref="PayloadStoreOptions.MaxExpansionRatio"/> times its stored size (above <see cref="PayloadStoreOptions.RatioFloorBytes"/>).
    /// </exception>
    /// <exception cref="InvalidDataException">The encoding is unknown, or the content is corrupt or does not match its recorded length or hash.</exception>
    public Task<Stream> OpenReadAsync(string blobName, CancellationToken cancellationToken = default) =>
        OpenCoreAsync(blobName, expectedBytes: null, expectedSha256: null, cancellationToken);

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
        return container.DeleteAsync(reference.BlobName, cancellationToken: cancellationToken);
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

    private async Task<bool> IsOwnWriteAsync(string blobName, CompressingReadStream written, CancellationToken cancellationToken)
    {
        var stored = await container.GetPropertiesAsync(blobName, cancellationToken).ConfigureAwait(false);
        return stored is not null
            && stored.ContentLength == written.StoredBytes
            && stored.Metadata.TryGetValue("sha256", out var sha) && sha == written.Sha256;
    }

    private async Task<Stream> OpenCoreAsync(string blobName, long? expectedBytes, string? expectedSha256, CancellationToken cancellationToken, bool lengthFromReference = false)
    {
        var download = await container.DownloadAsync(blobName, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var properties = download.Properties;
            var codec = PayloadCodec.ForContentEncoding(properties.ContentEncoding)
                ?? throw new InvalidDataException($"Payload {blobName} has Content-Encoding '{properties.ContentEncoding}', which no codec reads.");

            // A reference from the table row outranks the blob's own metadata: it is what the row was committed with.
            expectedBytes ??= properties.Metadata.TryGetValue("rawbytes", out var raw) && long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : null;
            expectedSha256 ??= properties.Metadata.GetValueOrDefault("sha256");

            // A reference's length was recorded by our own write and is enforced exactly, so it is the limit
            // (under the absolute cap); the ratio guard is for blobs whose length we only have their word for.
            // Without that, a well-compressing payload of our own (repetitive text) could not be read back.
            var limit = lengthFromReference && expectedBytes is { } recorded
                ? Math.Min(options.MaxExpandedBytes, Math.Max(recorded, 0))
                : ExpansionLimit(download.ContentLength);

            if (expectedBytes > limit)
            {
                throw new PayloadTooLargeException(blobName, limit, $"Payload {blobName} is recorded as {expectedBytes} bytes, more than the {limit} this reader allows.");
            }

            return new ExpansionLimitStream(codec.Decompress(download.Content), blobName, limit, expectedBytes, expectedSha256);
        }
        catch
        {
            await download.DisposeAsync().ConfigureAwait(false);
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
