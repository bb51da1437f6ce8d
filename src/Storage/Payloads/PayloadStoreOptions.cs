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

    /// <summary>Default <see cref="SingleUploadThreshold"/> and <see cref="BlockSize"/>: 4 MiB.</summary>
    public const int DefaultTransferSize = 4 * 1024 * 1024;

    /// <summary>The largest <see cref="SingleUploadThreshold"/> and <see cref="BlockSize"/> accepted: 256 MiB (each is one pooled buffer in memory).</summary>
    public const int MaxBufferSize = 256 * 1024 * 1024;

    /// <summary>The service's limit on committed blocks per blob.</summary>
    public const int MaxBlockCount = 50_000;

    /// <summary>
    /// Compressed payloads that end before this many bytes go up in one Put Blob; longer ones are staged in
    /// blocks. Default 4 MiB; 0 to <see cref="MaxBufferSize"/>. This much is held in memory at once.
    /// </summary>
    public int SingleUploadThreshold { get; set; } = DefaultTransferSize;

    /// <summary>The size of each staged block (the last may be smaller). Default 4 MiB; 1 byte to <see cref="MaxBufferSize"/>.</summary>
    public int BlockSize { get; set; } = DefaultTransferSize;
}
