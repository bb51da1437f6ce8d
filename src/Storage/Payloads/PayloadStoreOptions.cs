using Serverless.Storage.Blobs;

namespace Serverless.Storage.Payloads;

/// <summary>How a <see cref="PayloadStore"/> compresses what it writes and how far it lets what it reads expand.</summary>
public sealed class PayloadStoreOptions
{
    /// <summary>Default <see cref="MaxExpandedBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxExpandedBytes = 256L * 1024 * 1024;

    /// <summary>Default <see cref="MaxExpansionRatio"/>: 1,000 (text rarely compresses beyond 100:1; zeros reach 1,000,000:1).</summary>
    public const int DefaultMaxExpansionRatio = 1000;

    /// <summary>
    /// Every blob may expand to at least this many bytes whatever its ratio (1 MiB), so tiny payloads
    /// that compress very well are not refused.
    /// </summary>
    public const long RatioFloorBytes = 1024 * 1024;

    /// <summary>
    /// The codec new payloads are written with unless <see cref="Codec"/> says otherwise. The one place
    /// the default is chosen; readers never depend on it, since each blob records its own codec.
    /// Brotli quality 4, chosen by <c>bench/run storage</c>: the best ratio among codecs that compress
    /// a transcript at 30 MB/s or more on our 2-core reference machine (figures in README.md).
    /// </summary>
    public static PayloadCodec DefaultCodec { get; } = PayloadCodec.Brotli(4);

    /// <summary>The codec for writes. Default <see cref="DefaultCodec"/>.</summary>
    public PayloadCodec Codec { get; set; } = DefaultCodec;

    /// <summary>The most bytes a payload may inflate to on read; more throws <see cref="PayloadTooLargeException"/>. Default 256 MiB; at least 1.</summary>
    public long MaxExpandedBytes { get; set; } = DefaultMaxExpandedBytes;

    /// <summary>
    /// The most a payload may inflate relative to its stored size (beyond <see cref="RatioFloorBytes"/>);
    /// more throws <see cref="PayloadTooLargeException"/>. Default 1,000; at least 1.
    /// </summary>
    public int MaxExpansionRatio { get; set; } = DefaultMaxExpansionRatio;

    /// <summary>Compressed payloads shorter than this go up in one request; see <see cref="BlobUploadOptions.SingleUploadThreshold"/>. Default 4 MiB.</summary>
    public int SingleUploadThreshold { get; set; } = BlobUploadOptions.DefaultSingleUploadThreshold;

    /// <summary>The block size for longer ones; see <see cref="BlobUploadOptions.BlockSize"/>. Default 4 MiB.</summary>
    public int BlockSize { get; set; } = BlobUploadOptions.DefaultBlockSize;
}
