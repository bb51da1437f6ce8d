using Serverless.Storage.Payloads;

namespace Serverless.Bench.Codecs;

/// <summary>
/// Times the product's <see cref="PayloadCodec"/> streams exactly as the payload store drives them:
/// write the raw bytes through <see cref="PayloadCodec.Compress"/>, read them back through
/// <see cref="PayloadCodec.Decompress"/>. Every result is checked to round-trip before it is timed.
/// </summary>
internal static class PayloadCodecTimer
{
    // Streaming code copies in buffers of this order (Stream.CopyTo uses 80 KiB), not in one giant write.
    private const int ChunkBytes = 64 * 1024;

    /// <summary>The whole input as one stream: an archived transcript segment.</summary>
    public static CodecFigures Transcript(string prefix, PayloadCodec codec, ReadOnlyMemory<byte> raw, RepetitionPolicy policy)
    {
        var output = new MemoryStream(raw.Length);
        var stored = Compress(codec, raw, output);
        var compressed = output.ToArray();
        Verify(codec, compressed, raw, prefix);

        var buffer = new byte[ChunkBytes];
        var compress = policy.Run(() => Compress(codec, raw, output));
        var decompress = policy.Run(() => Decompress(codec, compressed, buffer, raw.Length));
        return new CodecFigures(prefix, raw.Length, stored, compress, decompress);
    }

    /// <summary>Each message compressed on its own, with a fresh codec stream each time: small payloads.</summary>
    public static CodecFigures Messages(string prefix, PayloadCodec codec, IReadOnlyList<ReadOnlyMemory<byte>> messages, RepetitionPolicy policy)
    {
        var output = new MemoryStream(16 * 1024);
        var compressed = new byte[messages.Count][];
        long raw = 0, stored = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            Compress(codec, messages[i], output);
            compressed[i] = output.ToArray();
            Verify(codec, compressed[i], messages[i], prefix);
            raw += messages[i].Length;
            stored += compressed[i].Length;
        }

        var buffer = new byte[ChunkBytes];
        var compress = policy.Run(() =>
        {
            foreach (var message in messages)
            {
                Compress(codec, message, output);
            }
        });
        var decompress = policy.Run(() =>
        {
            for (var i = 0; i < compressed.Length; i++)
            {
                Decompress(codec, compressed[i], buffer, messages[i].Length);
            }
        });
        return new CodecFigures(prefix, raw, stored, compress, decompress);
    }

    /// <summary>Runs the codec both ways on a small input so JIT and native library loading stay out of the timings.</summary>
    public static void WarmUp(PayloadCodec codec, ReadOnlyMemory<byte> sample)
    {
        var output = new MemoryStream();
        var buffer = new byte[ChunkBytes];
        for (var i = 0; i < 3; i++)
        {
            Compress(codec, sample, output);
            Decompress(codec, output.ToArray(), buffer, sample.Length);
        }
    }

    private static long Compress(PayloadCodec codec, ReadOnlyMemory<byte> raw, MemoryStream output)
    {
        output.SetLength(0);
        using (var compressor = codec.Compress(output))
        {
            for (var offset = 0; offset < raw.Length; offset += ChunkBytes)
            {
                compressor.Write(raw.Span.Slice(offset, Math.Min(ChunkBytes, raw.Length - offset)));
            }
        } // disposing writes the format's trailer

        return output.Length;
    }

    private static void Decompress(PayloadCodec codec, byte[] compressed, byte[] buffer, int expectedLength)
    {
        long total = 0;
        using (var decompressor = codec.Decompress(new MemoryStream(compressed, writable: false)))
        {
            int read;
            while ((read = decompressor.Read(buffer)) > 0)
            {
                total += read;
            }
        }

        if (total != expectedLength)
        {
            throw new InvalidOperationException($"{codec.Name} inflated {total} bytes, expected {expectedLength}");
        }
    }

    private static void Verify(PayloadCodec codec, byte[] compressed, ReadOnlyMemory<byte> raw, string what)
    {
        using var decompressor = codec.Decompress(new MemoryStream(compressed, writable: false));
        using var inflated = new MemoryStream(raw.Length);
        decompressor.CopyTo(inflated);
        if (!inflated.GetBuffer().AsSpan(0, (int)inflated.Length).SequenceEqual(raw.Span))
        {
            throw new InvalidOperationException($"{what}: {codec.Name} did not round-trip");
        }
    }
}
