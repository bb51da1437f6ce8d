using System.Buffers;

namespace Serverless.Storage.Payloads;

/// <summary>
/// The write-only stream a compressor writes into, drained by <see cref="CompressingReadStream"/>. It holds
/// only what one input chunk produced (the reader empties it before feeding more), in a pooled array that
/// grows when a chunk expands (incompressible input) and starts over whenever it is drained.
/// </summary>
internal sealed class CompressedOutputBuffer : Stream
{
    private byte[] buffer;
    private int start;
    private int end;

    public CompressedOutputBuffer(int initialCapacity) => buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    /// <summary>Bytes written and not yet drained.</summary>
    public int Unread => end - start;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Moves up to <paramref name="destination"/>'s length of unread bytes out.</summary>
    public int Drain(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, Unread);
        buffer.AsSpan(start, count).CopyTo(destination);
        start += count;
        if (start == end)
        {
            start = end = 0;
        }

        return count;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> source)
    {
        if (buffer.Length - end < source.Length)
        {
            // Compact first; grow only when the unread bytes plus the new ones do not fit.
            var needed = Unread + source.Length;
            var target = needed <= buffer.Length ? buffer : ArrayPool<byte>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
            buffer.AsSpan(start, Unread).CopyTo(target);
            if (!ReferenceEquals(target, buffer))
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = target;
            }

            end = Unread;
            start = 0;
        }

        source.CopyTo(buffer.AsSpan(end));
        end += source.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        Write(source.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = [];
            start = end = 0;
        }

        base.Dispose(disposing);
    }
}
