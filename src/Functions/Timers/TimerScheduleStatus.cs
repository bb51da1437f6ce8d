namespace Serverless.Functions.Timers;

/// <summary>A timer's recorded status, like the host's <c>ScheduleStatus</c>; all times UTC.</summary>
/// <param name="Last">
/// The previous run's occurrence, or <c>null</c> when there was none (the host sends <c>0001-01-01T00:00:00</c> then).
/// </param>
/// <param name="Next">The occurrence after this run.</param>
/// <param name="LastUpdated">When the status was last written (standalone: when the previous tick was claimed, or this firing's time on a job's first tick).</param>
public sealed record TimerScheduleStatus(DateTimeOffset? Last, DateTimeOffset Next, DateTimeOffset LastUpdated);
