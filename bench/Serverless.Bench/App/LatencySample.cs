namespace Serverless.Bench.App;

/// <summary>Durations of one kind of operation, in milliseconds, with nearest-rank percentiles.</summary>
internal sealed class LatencySample
{
    private readonly List<double> milliseconds = [];

    public int Count => milliseconds.Count;

    public void Add(TimeSpan duration) => milliseconds.Add(duration.TotalMilliseconds);

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0 to 1).</summary>
    public double Percentile(double p)
    {
        if (milliseconds.Count == 0)
        {
            return double.NaN;
        }

        var sorted = milliseconds.Order().ToList();
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public double Mean => milliseconds.Count == 0 ? double.NaN : milliseconds.Average();

    public double Min => milliseconds.Count == 0 ? double.NaN : milliseconds.Min();

    public double Max => milliseconds.Count == 0 ? double.NaN : milliseconds.Max();
}
