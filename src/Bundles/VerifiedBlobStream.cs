using System.Security.Cryptography;

namespace Serverless.Bundles;

/// <summary>
/// A blob file's bytes as they are read, hashed on the way: reaching the end, its length and SHA-256 are compared with
/// the manifest's, and a mismatch throws <see cref="BundleErrors.Checksum"/> instead of ending the stream, so a reader
/// that copies the stream to its end has copied exactly the listed bytes or failed. Reads never go past the declared size.
/// </summary>
internal sealed class VerifiedBlobStream(Stream inner, BundleBlobEntry listed) : Stream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => listed.Bytes;

    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Checked(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override int Read(Span<byte> buffer) => Checked(buffer[..inner.Read(buffer)]);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Checked(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            hash.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        hash.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int Checked(ReadOnlySpan<byte> read)
    {
        if (read.Length > 0)
        {
            hash.AppendData(read);
            position += read.Length;
            return read.Length;
        }

        if (position != listed.Bytes || Convert.ToHexStringLower(hash.GetHashAndReset()) != listed.Sha256)
        {
            throw new BundleException(BundleErrors.Checksum, $"{listed.File} does not match its SHA-256 and length in the manifest.");
        }

        return 0;
    }
}
