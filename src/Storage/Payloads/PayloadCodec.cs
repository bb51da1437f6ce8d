using System.IO.Compression;

namespace Serverless.Storage.Payloads;

/// <summary>
/// A compression format for payload blobs, with the settings it writes at. The codec's
/// <see cref="Name"/> is recorded in every blob name and in its Content-Encoding, so a
/// reader always knows how to inflate a blob whatever the current default is.
/// </summary>
public sealed class PayloadCodec
{
    private readonly Func<Stream, Stream> compressor;
    private readonly Func<Stream, Stream> decompressor;

    private PayloadCodec(string name, string contentEncoding, string extension, Func<Stream, Stream> compressor, Func<Stream, Stream> decompressor)
    {
        Name = name;
        ContentEncoding = contentEncoding;
        FileExtension = extension;
        this.compressor = compressor;
        this.decompressor = decompressor;
    }

    /// <summary>A short stable identifier such as <c>br5</c> or <c>gzip6</c>, used in names and benchmark output.</summary>
    public string Name { get; }

    /// <summary>The HTTP Content-Encoding token that describes the stored bytes (<c>br</c>, <c>gzip</c>, <c>deflate</c> or <c>identity</c>).</summary>
    public string ContentEncoding { get; }

    /// <summary>The blob name suffix for this format, such as <c>.br</c>.</summary>
    public string FileExtension { get; }

    /// <summary>Stores bytes as they are; used for content that does not compress (already compressed media).</summary>
    public static PayloadCodec Identity { get; } = new("identity", "identity", "", s => new NonClosingStream(s), s => s);

    /// <summary>Brotli at the given quality (0 to 11).</summary>
    public static PayloadCodec Brotli(int quality)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quality);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 11);
        return new PayloadCodec(
            $"br{quality}", "br", ".br",
            s => new BrotliStream(s, new BrotliCompressionOptions { Quality = quality }, leaveOpen: true),
            s => new BrotliStream(s, CompressionMode.Decompress, leaveOpen: false));
    }

    /// <summary>GZip (RFC 1952) at the given zlib level (0 to 9).</summary>
    public static PayloadCodec GZip(int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 9);
        return new PayloadCodec(
            $"gzip{level}", "gzip", ".gz",
            s => new GZipStream(s, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true),
            s => new GZipStream(s, CompressionMode.Decompress, leaveOpen: false));
    }

    /// <summary>zlib (RFC 1950, HTTP's "deflate") at the given level (0 to 9).</summary>
    public static PayloadCodec ZLib(int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 9);
        return new PayloadCodec(
            $"zlib{level}", "deflate", ".zz",
            s => new ZLibStream(s, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true),
            s => new ZLibStream(s, CompressionMode.Decompress, leaveOpen: false));
    }

    /// <summary>
    /// Wraps <paramref name="destination"/> in a stream that compresses what is written to it.
    /// Disposing the returned stream flushes the format's trailer and leaves <paramref name="destination"/> open.
    /// </summary>
    public Stream Compress(Stream destination) => compressor(destination);

    /// <summary>Wraps <paramref name="source"/> in a stream that inflates it; disposing it disposes <paramref name="source"/>.</summary>
    public Stream Decompress(Stream source) => decompressor(source);

    /// <summary>Finds the codec family that reads a blob stored with the given Content-Encoding.</summary>
    /// <returns>A codec able to decompress that encoding, or <c>null</c> when the encoding is unknown.</returns>
    public static PayloadCodec? ForContentEncoding(string? contentEncoding) => contentEncoding?.Trim().ToLowerInvariant() switch
    {
        null or "" or "identity" => Identity,
        "br" => Brotli(4),
        "gzip" => GZip(6),
        "deflate" => ZLib(6),
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Lets the identity codec hand out a stream whose disposal leaves the destination open, like the others.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    }
}
