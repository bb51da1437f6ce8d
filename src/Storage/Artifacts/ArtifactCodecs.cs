using Serverless.Storage.Payloads;

namespace Serverless.Storage.Artifacts;

/// <summary>
/// Which content is stored compressed: text and the structured text formats (JSON, NDJSON, XML, JavaScript, YAML,
/// diffs, CSV, SVG, uncompressed archives and fonts) compress several times over; images, audio, video, zip, gzip,
/// PDF and anything unknown (<c>application/octet-stream</c>) are mostly compressed already and are stored as they
/// are, which also lets a download serve any range of them straight from the blob.
/// </summary>
public static class ArtifactCodecs
{
    private static readonly HashSet<string> CompressibleTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-seq",
        "application/xml", "application/javascript", "application/ecmascript", "application/x-javascript",
        "application/yaml", "application/x-yaml", "application/toml", "application/sql", "application/graphql",
        "application/x-sh", "application/x-diff", "application/x-patch", "application/x-tar", "application/wasm",
        "font/ttf", "font/otf", "image/bmp", "image/x-icon",
    };

    /// <summary>Whether content of <paramref name="contentType"/> (parameters allowed) is worth compressing.</summary>
    public static bool IsCompressible(string contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
            || CompressibleTypes.Contains(mediaType);
    }

    /// <summary>The codec for content of <paramref name="contentType"/>: <paramref name="compressing"/> or <see cref="PayloadCodec.Identity"/>.</summary>
    public static PayloadCodec For(string contentType, PayloadCodec compressing) => IsCompressible(contentType) ? compressing : PayloadCodec.Identity;
}
