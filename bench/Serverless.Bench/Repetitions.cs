using System.Diagnostics;

namespace Serverless.Bench;

/// <summary>
/// How many times to time an operation: at least <paramref name="MinReps"/>, at most
/// <paramref name="MaxReps"/>, and no new repetition once <paramref name="Budget"/> has been
/// spent (after the minimum). Slow operations thus get fewer repetitions instead of a long run.
/// </summary>
internal sealed record RepetitionPolicy(int MinReps, int MaxReps, TimeSpan Budget)
{
    /// <summary>Times <paramref name="operation"/> and returns the median wall time in seconds.</summary>
    public TimedRuns Run(Action operation)
    {
        var seconds = new List<double>();
        var started = Stopwatch.GetTimestamp();
        while (seconds.Count < MaxReps
            && (seconds.Count < MinReps || Stopwatch.GetElapsedTime(started) < Budget))
        {
            // Collect garbage left by the previous repetition outside the timed region.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var t0 = Stopwatch.GetTimestamp();
            operation();
            seconds.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }

        return new TimedRuns(seconds);
    }
}

/// <summary>The wall times of the repetitions of one operation.</summary>
internal sealed record TimedRuns(IReadOnlyList<double> Seconds)
{
    public int Count => Seconds.Count;

    public double MedianSeconds
    {
        get
        {
            var sorted = Seconds.Order().ToArray();
            var mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }
}
