using System.Globalization;

namespace Serverless.Bench.Codecs;

/// <summary>
/// Picks the payload default from the measured figures. Chat payloads are written once, during
/// the request that produced them (the user waits and the CPU is billed), and read many times;
/// the bytes that dominate storage are transcript-sized blobs (small messages stay in table rows).
/// So: the compression must be cheap enough at request time, decompression fast, and among those
/// the smallest transcript wins. Only in-process codecs qualify; command-line tools are a reference.
/// </summary>
internal static class CodecRecommendation
{
    // 40 MB/s: compressing a 1 MiB transcript segment costs at most ~26 ms of request time.
    public const double MinTranscriptCompressMbps = 40;

    // 20 MB/s on 1-4 KiB messages: at most ~0.2 ms per small payload, below any storage round trip.
    public const double MinMessageCompressMbps = 20;

    // 200 MB/s: reading back a 1 MiB segment costs at most ~5 ms, small next to the blob download.
    public const double MinTranscriptDecompressMbps = 200;

    // Ratios this close are a tie: don't spend more CPU on every write for under 1% of bytes.
    public const double TieRatioFraction = 0.01;

    public static string Rule => string.Create(CultureInfo.InvariantCulture, $"rule: among in-process codecs with transcript compress_mbps >= {MinTranscriptCompressMbps}, transcript decompress_mbps >= {MinTranscriptDecompressMbps} and message compress_mbps >= {MinMessageCompressMbps}, take the highest transcript ratio; a codec within {TieRatioFraction:P0} of that ratio with a faster transcript compress wins the tie (written once at request time, read often)");

    /// <returns>The recommended codec name, or <c>null</c> when no codec meets the speed floors.</returns>
    public static string? Choose(IReadOnlyList<(string Name, CodecFigures Transcript, CodecFigures Message)> measured)
    {
        var eligible = measured
            .Where(m => m.Transcript.CompressMbps >= MinTranscriptCompressMbps
                && m.Transcript.DecompressMbps >= MinTranscriptDecompressMbps
                && m.Message.CompressMbps >= MinMessageCompressMbps)
            .ToList();
        if (eligible.Count == 0)
        {
            return null;
        }

        var bestRatio = eligible.Max(m => m.Transcript.Ratio);
        return eligible
            .Where(m => m.Transcript.Ratio >= bestRatio * (1 - TieRatioFraction))
            .MaxBy(m => m.Transcript.CompressMbps)
            .Name;
    }
}
