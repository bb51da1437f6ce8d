namespace Serverless.Bundles;

/// <summary>
/// A read-only, forward-only view of another stream that sees every chunk read (<see cref="Observe"/>) before the
/// caller does: the base of the reader's checks on entries and blobs. Disposing it disposes the inner stream.
/// </summary>
internal abstract class ObservedReadStream(Stream inner) : Stream
{
    private long bytesRead;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Position { get => bytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Seen(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override int Read(Span<byte> buffer) => Seen(buffer[..inner.Read(buffer)]);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Seen(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Checks one chunk as it is read (empty at the end of the stream); throws to refuse it.</summary>
    protected abstract void Observe(ReadOnlySpan<byte> chunk, long readBefore);

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

    private int Seen(ReadOnlySpan<byte> chunk)
    {
        Observe(chunk, bytesRead);
        bytesRead += chunk.Length;
        return chunk.Length;
    }
}
