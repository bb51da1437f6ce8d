using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace Serverless.Functions.Api;

/// <summary>
/// Content codings, one way for every answer the app compresses (the transcript's stream and
/// <see cref="JsonCompression"/>): which coding <c>Accept-Encoding</c> asks for, and the compressing stream for it.
/// </summary>
public static partial class ContentCoding
{
    /// <summary>
    /// Brotli quality of every br answer (the transcript, compressed JSON): 2, not CompressionLevel.Fastest (1).
    /// Qualities 0 and 1 compress each write as fragments of their own, so even 64 KiB units of a transcript came out
    /// 10-20 % larger than one write of the whole transcript;
    /// from 2 on, the window and hash tables carry across writes and flushes. Measured on 4-6 MB transcripts
    /// (the bench's <c>compression</c> part reports the sizes): quality 2 sends 9-33 % fewer bytes than 1 at 60-75 %
    /// of its speed, still 85-260 MB/s on one core, well above what the storage reads deliver.
    /// </summary>
    public const int BrotliQuality = 2;

    /// <summary>A stream that compresses into <paramref name="output"/> (left open) with <paramref name="coding"/>: <c>br</c> or <c>gzip</c>.</summary>
    public static Stream Compressor(string coding, Stream output) => coding switch
    {
        "br" => new BrotliStream(output, new BrotliCompressionOptions { Quality = BrotliQuality }, leaveOpen: true),
        "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "Only br and gzip are produced."),
    };

    /// <summary>
    /// The content coding for <paramref name="acceptEncoding"/>: the highest q among br, gzip (or x-gzip) and identity,
    /// ties preferring br, then gzip, then identity; <c>*</c> stands for any coding not listed, q=0 (or an invalid q)
    /// makes a coding unacceptable. Identity that is not listed stays acceptable as the last resort, and is also the
    /// answer when nothing is acceptable (RFC 9110 §12.5.3). Null means identity.
    /// </summary>
    public static string? Choose(string acceptEncoding)
    {
        ArgumentNullException.ThrowIfNull(acceptEncoding);
        double? br = null, gzip = null, identity = null, any = null;
        foreach (var entry in acceptEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parameters = entry.Split(';', StringSplitOptions.TrimEntries);
            var q = Quality(parameters.AsSpan(1));
            switch (parameters[0].ToLowerInvariant())
            {
                case "br": br = q; break;
                case "gzip" or "x-gzip": gzip = q; break;
                case "identity": identity = q; break;
                case "*": any = q; break;
            }
        }

        // Ordered by preference, so that a tie keeps the earlier one.
        (string? Coding, double Q)[] candidates = [("br", br ?? any ?? 0), ("gzip", gzip ?? any ?? 0), (null, identity ?? any ?? 0)];
        var best = candidates.Aggregate((chosen, next) => next.Q > chosen.Q ? next : chosen);
        return best.Q > 0 ? best.Coding : null;
    }

    /// <summary>The q parameter (RFC 9110 §12.4.2: 0 to 1, at most three decimals); 1 when absent, 0 when invalid.</summary>
    private static double Quality(ReadOnlySpan<string> parameters)
    {
        foreach (var parameter in parameters)
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0 || !parameter[..equals].Trim().Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = parameter[(equals + 1)..].Trim();
            return QValue().IsMatch(value) ? double.Parse(value, CultureInfo.InvariantCulture) : 0;
        }

        return 1;
    }

    [GeneratedRegex(@"^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$")]
    private static partial Regex QValue();
}
