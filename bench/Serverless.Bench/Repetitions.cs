using System.Diagnostics;

namespace Serverless.Bench;

/// <summary>
/// How many times to time an operation: at least <paramref name="MinReps"/>, at most
/// <paramref name="MaxReps"/>, and no new repetition once <paramref name="Budget"/> has been
/// spent (after the minimum). Slow operations thus get fewer repetitions instead of a long run.
/// </summary>
internal sealed record RepetitionPolicy(int MinReps, int MaxReps, TimeSpan Budget)
{
    /// <summary>Times <paramref name="operation"/> once per repetition.</summary>
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
            var cpu0 = Environment.CpuUsage.TotalTime;
            var t0 = Stopwatch.GetTimestamp();
            operation();
            var wall = Stopwatch.GetElapsedTime(t0);
            CpuShare.Record(wall, Environment.CpuUsage.TotalTime - cpu0);
            seconds.Add(wall.TotalSeconds);
        }

        return new TimedRuns(seconds);
    }
}

/// <summary>The wall times of the repetitions of one operation.</summary>
internal sealed record TimedRuns(IReadOnlyList<double> Seconds)
{
    public static TimedRuns None { get; } = new([]);

    public int Count => Seconds.Count;

    public TimedRuns Append(TimedRuns more) => new([.. Seconds, .. more.Seconds]);

    /// <summary>
    /// The fastest repetition. Interference (other processes, a noisy VM neighbour) only ever
    /// slows a run down, so the minimum is the steadiest estimate of what the code itself costs.
    /// </summary>
    public double BestSeconds => Seconds.Count == 0 ? double.NaN : Seconds.Min();
}

/// <summary>
/// How much of the timed wall time this process spent on a CPU. A single-threaded measurement
/// that gets well under 100% was descheduled: something else competed for the cores, and the
/// speeds printed are understated. Printed so a reader can tell a slow codec from a busy machine.
/// </summary>
internal static class CpuShare
{
    private static TimeSpan wall;
    private static TimeSpan cpu;

    public static void Record(TimeSpan wallTime, TimeSpan cpuTime)
    {
        wall += wallTime;
        cpu += cpuTime;
    }

    /// <summary>CPU time over wall time of everything timed so far, or <c>null</c> before any timing.</summary>
    public static double? SoFar => wall > TimeSpan.Zero ? cpu / wall : null;
}
