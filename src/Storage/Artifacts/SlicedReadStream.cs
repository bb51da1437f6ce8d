using System.Buffers;

namespace Serverless.Storage.Artifacts;

/// <summary>
/// A window of a forward-only stream: skips the first <c>offset</c> bytes on the first read (reading and dropping them),
/// then yields at most <c>length</c> bytes (or the rest). Disposing it disposes the inner stream.
/// </summary>
internal sealed class SlicedReadStream(Stream inner, long offset, long? length) : Stream
{
    private const int SkipChunkBytes = 64 * 1024;

    private long toSkip = offset;
    private long? remaining = length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (toSkip > 0)
        {
            Skip();
        }

        if (remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }

        var read = inner.Read(remaining is { } left ? buffer[..(int)Math.Min(buffer.Length, left)] : buffer);
        remaining -= read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (toSkip > 0)
        {
            await SkipAsync(cancellationToken).ConfigureAwait(false);
        }

        if (remaining == 0 || buffer.IsEmpty)
        {
            return 0;
        }

        var want = remaining is { } left ? (int)Math.Min(buffer.Length, left) : buffer.Length;
        var read = await inner.ReadAsync(buffer[..want], cancellationToken).ConfigureAwait(false);
        remaining -= read;
        return read;
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
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Skip()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(SkipChunkBytes);
        try
        {
            while (toSkip > 0)
            {
                var read = inner.Read(scratch, 0, (int)Math.Min(scratch.Length, toSkip));
                toSkip -= read > 0 ? read : throw new InvalidDataException("The content ended before the start of the requested range.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task SkipAsync(CancellationToken cancellationToken)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(SkipChunkBytes);
        try
        {
            while (toSkip > 0)
            {
                var read = await inner.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, toSkip)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new InvalidDataException("The content ended before the start of the requested range.");
                }

                toSkip -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
