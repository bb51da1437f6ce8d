using System.Buffers;
using System.Security.Cryptography;

namespace Serverless.Storage.Payloads;

/// <summary>
/// A read-only stream of a source's bytes compressed with a codec, produced as the reader
/// pulls: each read feeds input chunks to the compressor until it emits something. Counts and hashes the
/// raw bytes on the way, so a single forward pass yields the blob and its length and SHA-256. Memory is one
/// input chunk plus what the compressor emits for it; the source is never buffered whole.
/// </summary>
internal sealed class CompressingReadStream : Stream
{
    private const int InputChunkBytes = 64 * 1024;

    private readonly Stream source;
    private readonly CompressedOutputBuffer output = new(InputChunkBytes);
    private readonly Stream compressor;
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] input = ArrayPool<byte>.Shared.Rent(InputChunkBytes);
    private string? sha256;

    public CompressingReadStream(Stream source, PayloadCodec codec)
    {
        this.source = source;
        compressor = codec.Compress(output);
    }

    /// <summary>Raw bytes read from the source so far.</summary>
    public long RawBytes { get; private set; }

    /// <summary>Compressed bytes handed to the reader so far.</summary>
    public long StoredBytes { get; private set; }

    /// <summary>The SHA-256 of the raw bytes, lower-case hex; only once the source has ended.</summary>
    public string Sha256 => sha256 ?? throw new InvalidOperationException("The source has not been read to its end yet.");

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (output.Unread == 0 && sha256 is null)
        {
            var read = source.Read(input, 0, input.Length);
            if (read == 0)
            {
                compressor.Dispose();
                Finish();
            }
            else
            {
                Consume(read);
                compressor.Write(input, 0, read);
            }
        }

        return Drained(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (output.Unread == 0 && sha256 is null)
        {
            var read = await source.ReadAsync(input, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                // Disposing the compressor writes its trailer into the output buffer.
                await compressor.DisposeAsync().ConfigureAwait(false);
                Finish();
            }
            else
            {
                Consume(read);
                await compressor.WriteAsync(input.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        return Drained(buffer.Span);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && input.Length > 0)
        {
            compressor.Dispose();
            output.Dispose();
            hash.Dispose();
            ArrayPool<byte>.Shared.Return(input);
            input = [];
        }

        base.Dispose(disposing);
    }

    private void Consume(int read)
    {
        hash.AppendData(input, 0, read);
        RawBytes += read;
    }

    private void Finish() => sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());

    private int Drained(Span<byte> buffer)
    {
        var count = output.Drain(buffer);
        StoredBytes += count;
        return count;
    }
}
