namespace Serverless.Bench.Codecs;

/// <summary>
/// What one codec did on one corpus shape. MB/s counts 10^6 bytes of raw (uncompressed) data
/// per second of the fastest repetition's wall time, for compression and decompression alike.
/// </summary>
internal sealed record CodecFigures(
    string Prefix,
    long RawBytes,
    long StoredBytes,
    TimedRuns Compress,
    TimedRuns Decompress)
{
    public double Ratio => (double)RawBytes / StoredBytes;

    public double CompressMbps => RawBytes / 1e6 / Compress.BestSeconds;

    public double DecompressMbps => RawBytes / 1e6 / Decompress.BestSeconds;

    public void Print()
    {
        Figures.Write($"{Prefix}.ratio", Ratio);
        Figures.Write($"{Prefix}.compress_mbps", CompressMbps, "0.0");
        Figures.Write($"{Prefix}.decompress_mbps", DecompressMbps, "0.0");
    }
}
