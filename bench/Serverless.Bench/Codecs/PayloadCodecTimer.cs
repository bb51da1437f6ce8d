using Serverless.Storage.Payloads;

namespace Serverless.Bench.Codecs;

/// <summary>
/// Times one product <see cref="PayloadCodec"/> on one corpus shape, the way the payload store
/// drives it: raw bytes written through <see cref="PayloadCodec.Compress"/> in 64 KiB pieces, read
/// back through <see cref="PayloadCodec.Decompress"/>. Each input is its own stream: one input for
/// the transcript shape, one per message for the message shape. Storage I/O is left out (that is
/// the ops/s part's job). Timing happens in rounds, see <see cref="TimeRound"/>.
/// </summary>
internal sealed class PayloadCodecTimer
{
    // The payload store feeds its compressor 64 KiB at a time (CompressingReadStream), not in one giant write.
    private const int ChunkBytes = 64 * 1024;

    private readonly string prefix;
    private readonly PayloadCodec codec;
    private readonly IReadOnlyList<ReadOnlyMemory<byte>> inputs;
    private readonly MemoryStream[] outputs;
    private readonly byte[] buffer = new byte[ChunkBytes];
    private byte[][]? compressed;
    private TimedRuns compressRuns = TimedRuns.None;
    private TimedRuns decompressRuns = TimedRuns.None;

    private PayloadCodecTimer(string prefix, PayloadCodec codec, IReadOnlyList<ReadOnlyMemory<byte>> inputs)
    {
        this.prefix = prefix;
        this.codec = codec;
        this.inputs = inputs;
        // Text compresses at least 2x with every candidate, so half the input size avoids regrowth while timing.
        outputs = inputs.Select(i => new MemoryStream((i.Length / 2) + 64)).ToArray();
    }

    /// <summary>The whole input as one stream: an archived transcript segment.</summary>
    public static PayloadCodecTimer Transcript(string prefix, PayloadCodec codec, ReadOnlyMemory<byte> raw) => new(prefix, codec, [raw]);

    /// <summary>Each message compressed on its own, with a fresh codec stream each time: small payloads.</summary>
    public static PayloadCodecTimer Messages(string prefix, PayloadCodec codec, IReadOnlyList<ReadOnlyMemory<byte>> messages) => new(prefix, codec, messages);

    /// <summary>
    /// Times compression and decompression once more under <paramref name="policy"/>. The first round
    /// also checks that every input round-trips. Later rounds skip an operation whose best run already
    /// took <paramref name="slowSeconds"/> or more: spreading a fast codec's runs over the whole
    /// benchmark is what makes its best run likely to fall in a quiet moment, a slow one cannot afford it.
    /// </summary>
    public void TimeRound(RepetitionPolicy policy, double slowSeconds)
    {
        if (compressed is null || compressRuns.BestSeconds < slowSeconds)
        {
            compressRuns = compressRuns.Append(policy.Run(CompressAll));
        }

        if (compressed is null)
        {
            compressed = outputs.Select(o => o.ToArray()).ToArray();
            for (var i = 0; i < inputs.Count; i++)
            {
                Verify(compressed[i], inputs[i]);
            }
        }

        if (decompressRuns.Count == 0 || decompressRuns.BestSeconds < slowSeconds)
        {
            decompressRuns = decompressRuns.Append(policy.Run(DecompressAll));
        }
    }

    /// <summary>The figures so far; call after at least one <see cref="TimeRound"/>.</summary>
    public CodecFigures Figures => new(
        prefix,
        inputs.Sum(i => (long)i.Length),
        compressed?.Sum(c => (long)c.Length) ?? throw new InvalidOperationException("not timed yet"),
        compressRuns,
        decompressRuns);

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

    private void CompressAll()
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            Compress(codec, inputs[i], outputs[i]);
        }
    }

    private void DecompressAll()
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            Decompress(codec, compressed![i], buffer, inputs[i].Length);
        }
    }

    private static void Compress(PayloadCodec codec, ReadOnlyMemory<byte> raw, MemoryStream output)
    {
        output.SetLength(0);
        using (var compressor = codec.Compress(output))
        {
            for (var offset = 0; offset < raw.Length; offset += ChunkBytes)
            {
                compressor.Write(raw.Span.Slice(offset, Math.Min(ChunkBytes, raw.Length - offset)));
            }
        } // disposing writes the format's trailer
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

    private void Verify(byte[] stored, ReadOnlyMemory<byte> raw)
    {
        using var decompressor = codec.Decompress(new MemoryStream(stored, writable: false));
        using var inflated = new MemoryStream(raw.Length);
        decompressor.CopyTo(inflated);
        if (!inflated.GetBuffer().AsSpan(0, (int)inflated.Length).SequenceEqual(raw.Span))
        {
            throw new InvalidOperationException($"{prefix}: {codec.Name} did not round-trip");
        }
    }
}
