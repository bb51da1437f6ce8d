using Microsoft.Extensions.Logging.Abstractions;

namespace Serverless.Functions.Timers;

/// <summary>
/// One firing of a timer job, as its handler sees it, whoever fired it. Built from the host's
/// <c>{Data, Metadata}</c> payload or by the standalone scheduler; all times are UTC.
/// </summary>
public sealed record TimerInvocation
{
    /// <summary>The function (job) name, as registered.</summary>
    public required string FunctionName { get; init; }

    /// <summary>
    /// The invocation id: the host's <c>X-Azure-Functions-InvocationId</c> header, or a new GUID when
    /// the scheduler fired (or the host sent none). Unique per run, not per tick.
    /// </summary>
    public required string InvocationId { get; init; }

    /// <summary>
    /// The schedule occurrence this run stands for; with <see cref="FunctionName"/> a deterministic id for
    /// the tick. Standalone: the claimed occurrence. Under the host, whose payload does not name it: the
    /// latest occurrence at or before <see cref="FiredAt"/> (<see cref="FiredAt"/> itself if none is found).
    /// </summary>
    public required DateTimeOffset ScheduledTime { get; init; }

    /// <summary>When the timer fired: the host's <c>Metadata.sys.UtcNow</c> when present, else when the request or tick arrived.</summary>
    public required DateTimeOffset FiredAt { get; init; }

    /// <summary>Whether the run is late: occurrences were missed since the last run (downtime), or it fired noticeably after <see cref="ScheduledTime"/>.</summary>
    public required bool IsPastDue { get; init; }

    /// <summary>The last and next runs, or <c>null</c> when the host keeps no status (its monitor is off, e.g. for schedules under a minute).</summary>
    public TimerScheduleStatus? ScheduleStatus { get; init; }

    /// <summary>The schedule's <c>AdjustForDST</c> flag as the host reports it. Our schedules run in UTC, which has no DST.</summary>
    public bool AdjustForDst { get; init; }

    /// <summary>Who fired the timer.</summary>
    public TimerInvocationSource Source { get; init; }

    /// <summary>
    /// Logs for this invocation. Lines at Information and above go to the app's logs and, under the host,
    /// back in the reply's <c>Logs</c> (at most 1,000 lines of 8,192 characters each). Default: a logger that drops everything.
    /// </summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
