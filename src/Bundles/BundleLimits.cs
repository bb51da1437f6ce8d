namespace Serverless.Bundles;

/// <summary>What a <see cref="BundleReader"/> accepts: the guards against zip bombs and oversized bundles.</summary>
/// <param name="MaxEntries">Most entries in the zip.</param>
/// <param name="MaxUncompressedBytes">Most uncompressed bytes over all entries (as declared; reads never go past a declared size).</param>
/// <param name="MaxCompressionRatio">Largest uncompressed / compressed ratio of an entry over <see cref="RatioFloorBytes"/>.</param>
public sealed record BundleLimits(int MaxEntries, long MaxUncompressedBytes, double MaxCompressionRatio)
{
    /// <summary>Entries smaller than this are not held to the ratio (a short repetitive file compresses well and harms nobody).</summary>
    public const long RatioFloorBytes = 1024 * 1024;

    /// <summary>The documented defaults: 250,000 entries, 4 GiB, ratio 200.</summary>
    public static BundleLimits Default { get; } = new(250_000, 4L * 1024 * 1024 * 1024, 200);
}
