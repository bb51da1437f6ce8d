using Serverless.Storage.Payloads;

namespace Serverless.Bench.Codecs;

/// <summary>A product codec to measure; <see cref="TimeBoxed"/> ones run the transcript shape on a corpus prefix only.</summary>
internal sealed record CodecCandidate(PayloadCodec Codec, bool TimeBoxed)
{
    public string Name => Codec.Name;
}

internal static class CodecCandidates
{
    /// <summary>The settings worth considering as the payload default, as the product builds them.</summary>
    public static IReadOnlyList<CodecCandidate> All { get; } =
    [
        new(PayloadCodec.Brotli(1), false),
        new(PayloadCodec.Brotli(4), false),
        new(PayloadCodec.Brotli(5), false),
        new(PayloadCodec.Brotli(6), false),
        new(PayloadCodec.Brotli(9), false),
        // Quality 11 compresses at well under 1 MB/s: 16 MiB would take about a minute per run.
        new(PayloadCodec.Brotli(11), true),
        new(PayloadCodec.GZip(1), false),
        new(PayloadCodec.GZip(6), false),
        new(PayloadCodec.GZip(9), false),
        new(PayloadCodec.ZLib(1), false),
        new(PayloadCodec.ZLib(6), false),
        new(PayloadCodec.ZLib(9), false),
    ];
}
