using System.Security.Cryptography;

namespace Serverless.Storage.Payloads;

/// <summary>
/// Wraps an inflating stream: throws <see cref="PayloadTooLargeException"/> as soon as more than the allowed
/// bytes come out (never truncating), and at the end checks the length and SHA-256 the writer recorded, so
/// a damaged or swapped blob is an error rather than wrong data. Disposing it disposes the inner stream.
/// </summary>
internal sealed class ExpansionLimitStream : Stream
{
    private readonly Stream inner;
    private readonly string blobName;
    private readonly long limit;
    private readonly long? expectedBytes;
    private readonly string? expectedSha256;
    private readonly IncrementalHash? hash;
    private long expanded;
    private bool verified;

    public ExpansionLimitStream(Stream inner, string blobName, long limit, long? expectedBytes, string? expectedSha256)
    {
        this.inner = inner;
        this.blobName = blobName;
        this.limit = limit;
        this.expectedBytes = expectedBytes;
        this.expectedSha256 = expectedSha256;
        hash = expectedSha256 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        return Check(buffer[..read], buffer.IsEmpty);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Check(buffer.Span[..read], buffer.IsEmpty);
    }

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
            hash?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        hash?.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int Check(ReadOnlySpan<byte> read, bool askedForNothing)
    {
        if (read.IsEmpty)
        {
            if (!askedForNothing)
            {
                VerifyEnd();
            }

            return 0;
        }

        expanded += read.Length;
        if (expanded > limit)
        {
            throw new PayloadTooLargeException(blobName, limit, $"Payload {blobName} inflates to more than {limit} bytes, the most this reader allows; refusing it (a corrupt blob or a decompression bomb).");
        }

        if (expanded > expectedBytes)
        {
            throw new InvalidDataException($"Payload {blobName} inflates to more than the {expectedBytes} bytes recorded when it was written: the blob is corrupt.");
        }

        hash?.AppendData(read);
        return read.Length;
    }

    private void VerifyEnd()
    {
        if (verified)
        {
            return;
        }

        verified = true;
        if (expectedBytes is { } bytes && expanded != bytes)
        {
            throw new InvalidDataException($"Payload {blobName} inflates to {expanded} bytes, not the {bytes} recorded when it was written: the blob is corrupt.");
        }

        if (hash is not null && !string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"Payload {blobName} does not match the SHA-256 recorded when it was written: the blob is corrupt.");
        }
    }
}
