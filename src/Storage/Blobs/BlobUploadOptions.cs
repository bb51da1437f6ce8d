using Azure;

namespace Serverless.Storage.Blobs;

/// <summary>How <see cref="BlobContainerClient.UploadAsync"/> stores a blob: properties, metadata, conditions and transfer sizes.</summary>
public sealed class BlobUploadOptions
{
    /// <summary>Default <see cref="SingleUploadThreshold"/>: 4 MiB.</summary>
    public const int DefaultSingleUploadThreshold = 4 * 1024 * 1024;

    /// <summary>Default <see cref="BlockSize"/>: 4 MiB.</summary>
    public const int DefaultBlockSize = 4 * 1024 * 1024;

    /// <summary>The largest <see cref="SingleUploadThreshold"/> and <see cref="BlockSize"/> accepted: 256 MiB (each is one pooled buffer in memory).</summary>
    public const int MaxBufferSize = 256 * 1024 * 1024;

    /// <summary>The stored Content-Type (sent as <c>x-ms-blob-content-type</c>); the service defaults to <c>application/octet-stream</c>.</summary>
    public string? ContentType { get; set; }

    /// <summary>
    /// The stored Content-Encoding (sent as <c>x-ms-blob-content-encoding</c>, the only form Azurite reads),
    /// describing the bytes as given; the upload itself never re-encodes them. Null stores none.
    /// </summary>
    public string? ContentEncoding { get; set; }

    /// <summary>Metadata to store. Names: 1–64 lower-case ASCII letters and digits, starting with a letter; values: printable ASCII; 8 KiB in all.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; set; }

    /// <summary>Create only: fail with 409 <c>BlobAlreadyExists</c> if the blob exists (<c>If-None-Match: *</c>). Default false.</summary>
    public bool IfNoneMatchAll { get; set; }

    /// <summary>Overwrite only the version with this ETag: fail with 412 <c>ConditionNotMet</c> otherwise. Default none.</summary>
    public ETag? IfMatch { get; set; }

    /// <summary>The active lease's id, required when the blob is leased (else 412 <c>LeaseIdMissing</c>). Default none.</summary>
    public string? LeaseId { get; set; }

    /// <summary>
    /// A stream that ends before this many bytes is stored with one Put Blob; otherwise it is staged
    /// in blocks. Default 4 MiB; 0 to <see cref="MaxBufferSize"/>. This much is held in memory at once.
    /// </summary>
    public int SingleUploadThreshold { get; set; } = DefaultSingleUploadThreshold;

    /// <summary>The size of each staged block (the last may be smaller). Default 4 MiB; 1 byte to <see cref="MaxBufferSize"/>. At most 50,000 blocks per blob.</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;
}
