using System.Globalization;

namespace Serverless.Bench.Codecs;

/// <summary>
/// Picks the payload default from the measured figures. Chat payloads are written once, during
/// the request that produced them (the user waits and the CPU is billed), and read many times;
/// the bytes that dominate storage are transcript-sized blobs (small messages stay in table rows).
/// So: compression must be cheap enough at request time, decompression fast, and among the
/// codecs that are, the smallest transcript wins. Only in-process codecs qualify: the command-line
/// tools are a reference the product cannot call.
/// </summary>
internal static class CodecRecommendation
{
    // 30 MB/s: sealing a 1 MiB transcript segment (a long chat) costs at most ~35 ms of request time.
    public const double MinTranscriptCompressMbps = 30;

    // 200 MB/s: reading a 1 MiB segment back costs at most ~5 ms, small next to the blob download.
    public const double MinTranscriptDecompressMbps = 200;

    // 10 MB/s on 1-4 KiB messages: at most ~0.4 ms per small payload, below any storage round trip.
    // It rules out settings that are far slower per small stream than on a transcript (Brotli 9 and 11 measured under 1 MB/s).
    public const double MinMessageCompressMbps = 10;

    // Ratios this close are a tie: don't spend more CPU on every write for under 1% of bytes.
    public const double TieRatioFraction = 0.01;

    public static string Rule => string.Create(CultureInfo.InvariantCulture, $"rule: among in-process codecs with transcript compress_mbps >= {MinTranscriptCompressMbps}, transcript decompress_mbps >= {MinTranscriptDecompressMbps} and message compress_mbps >= {MinMessageCompressMbps}, take the highest transcript ratio; a codec within {TieRatioFraction * 100}% of that ratio with a faster transcript compress wins the tie (written once at request time, read often)");

    /// <summary>Applies the rule; <see cref="Choice.Name"/> is <c>null</c> when no codec meets the speed floors.</summary>
    public static Choice Choose(IReadOnlyList<(string Name, CodecFigures Transcript, CodecFigures Message)> measured)
    {
        var verdicts = measured.Select(m => (m.Name, m.Transcript, Failures: Failures(m.Transcript, m.Message))).ToList();
        var eligible = verdicts.Where(v => v.Failures.Count == 0).ToList();
        if (eligible.Count == 0)
        {
            return new Choice(null, ["no codec meets the speed floors on this machine"]);
        }

        var bestRatio = eligible.Max(v => v.Transcript.Ratio);
        var winner = eligible
            .Where(v => v.Transcript.Ratio >= bestRatio * (1 - TieRatioFraction))
            .MaxBy(v => v.Transcript.CompressMbps);

        // Say why each codec that stores fewer bytes than the winner lost, so a flip between runs is explainable.
        var notes = new List<string> { $"eligible: {string.Join(", ", eligible.Select(v => Describe(v.Name, v.Transcript)))}" };
        notes.AddRange(verdicts
            .Where(v => v.Failures.Count > 0 && v.Transcript.Ratio > winner.Transcript.Ratio)
            .Select(v => $"{Describe(v.Name, v.Transcript)} excluded: {string.Join(", ", v.Failures)}"));
        return new Choice(winner.Name, notes);
    }

    private static List<string> Failures(CodecFigures transcript, CodecFigures message)
    {
        var failures = new List<string>();
        Check(transcript.CompressMbps, MinTranscriptCompressMbps, "transcript compress_mbps");
        Check(transcript.DecompressMbps, MinTranscriptDecompressMbps, "transcript decompress_mbps");
        Check(message.CompressMbps, MinMessageCompressMbps, "message compress_mbps");
        return failures;

        void Check(double value, double floor, string what)
        {
            if (value < floor)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{what} {value:0.0} < {floor}"));
            }
        }
    }

    private static string Describe(string name, CodecFigures transcript) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} (ratio {transcript.Ratio:0.00})");

    internal sealed record Choice(string? Name, IReadOnlyList<string> Notes);
}
