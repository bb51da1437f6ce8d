using System.Security.Cryptography;
using System.Text;

namespace Serverless.Tests.Storage;

/// <summary>
/// A non-seekable stream of deterministic bytes that does not know its length and answers reads in
/// uneven pieces, like a network body. Allocates nothing while reading, so upload memory can be measured.
/// </summary>
internal sealed class GeneratedStream(long length, ulong seed = 0x9E3779B97F4A7C15, bool text = false) : Stream
{
    private static readonly byte[] Words = Encoding.ASCII.GetBytes("the assistant said hello to the user and called a tool with json arguments {\"city\":\"Paris\",\"days\":3} then wrote a summary. ");
    private ulong state = seed | 1;
    private long position;
    private int reads;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>All bytes of a stream with these settings, for small comparisons.</summary>
    public static byte[] Bytes(long length, ulong seed = 0x9E3779B97F4A7C15, bool text = false)
    {
        using var stream = new GeneratedStream(length, seed, text);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The SHA-256 of a stream with these settings, computed streaming.</summary>
    public static byte[] Sha256(long length, ulong seed = 0x9E3779B97F4A7C15, bool text = false)
    {
        using var stream = new GeneratedStream(length, seed, text);
        return SHA256.HashData(stream);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // Uneven piece sizes (1 to ~12 KiB) exercise the uploader's fill loop.
        var piece = 1 + (int)((uint)(++reads * 7919) % 12_000);
        var count = (int)Math.Min(Math.Min(buffer.Length, piece), length - position);
        for (var i = 0; i < count; i++)
        {
            if (text)
            {
                buffer[i] = Words[(position + i) % Words.Length];
                if (((position + i) & 1023) == 0)
                {
                    buffer[i] = (byte)('a' + (int)(Next() % 26));
                }
            }
            else
            {
                buffer[i] = (byte)Next();
            }
        }

        position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private ulong Next()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
}
