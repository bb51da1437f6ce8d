namespace Serverless.Storage.Payloads;

/// <summary>
/// A payload inflated past the reader's limit: a decompression bomb or a payload larger than this reader
/// accepts. Thrown while reading (or on open, when the blob's recorded size is already over the limit);
/// the stream never ends early instead.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/>, as stream read failures are: <see cref="InvalidDataException"/> (which the
/// decompressors and this store throw for corrupt blobs) is sealed, so it cannot be the base.
/// </remarks>
public sealed class PayloadTooLargeException : IOException
{
    /// <summary>Creates the exception for <paramref name="blobName"/> and the limit it exceeded.</summary>
    public PayloadTooLargeException(string blobName, long limit, string message)
        : base(message)
    {
        BlobName = blobName;
        Limit = limit;
    }

    /// <summary>The blob that expanded too far.</summary>
    public string BlobName { get; }

    /// <summary>The number of expanded bytes the reader allowed for it.</summary>
    public long Limit { get; }
}
