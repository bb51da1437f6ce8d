using System.Security.Cryptography;

namespace Serverless.Bundles;

/// <summary>
/// A blob file's bytes as they are read, hashed on the way: reaching the end, its length and SHA-256 are compared with
/// the manifest's, and a mismatch throws <see cref="BundleErrors.Checksum"/> instead of ending the stream, so a reader
/// that copies the stream to its end has copied exactly the listed bytes or failed. Reads never go past the declared
/// size (the inner stream is a <see cref="BoundedReadStream"/>).
/// </summary>
internal sealed class VerifiedBlobStream(Stream inner, BundleBlobEntry listed) : ObservedReadStream(inner)
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public override long Length => listed.Bytes;

    protected override void Observe(ReadOnlySpan<byte> chunk, long readBefore)
    {
        if (chunk.Length > 0)
        {
            hash.AppendData(chunk);
        }
        else if (readBefore != listed.Bytes || Convert.ToHexStringLower(hash.GetHashAndReset()) != listed.Sha256)
        {
            throw new BundleException(BundleErrors.Checksum, $"{listed.File} does not match its SHA-256 and length in the manifest.");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        hash.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
