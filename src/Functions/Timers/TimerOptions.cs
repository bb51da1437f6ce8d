namespace Serverless.Functions.Timers;

/// <summary>How timers run (configuration section <c>Timers</c>).</summary>
public sealed class TimerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Timers";

    /// <summary>
    /// Run the in-process scheduler when no Functions host drives us (<c>FUNCTIONS_CUSTOMHANDLER_PORT</c>
    /// unset). Default <c>true</c>. Under the host the scheduler never runs, whatever this says: the host fires timers itself.
    /// </summary>
    public bool Standalone { get; set; } = true;

    /// <summary>
    /// The lease on a job's lock blob while it runs standalone: how long other instances wait before
    /// running the job again if this one dies mid-run. 15 to 60 whole seconds; default 30 s.
    /// </summary>
    public TimeSpan LockLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How late after its occurrence a standalone run is reported <see cref="TimerInvocation.IsPastDue"/>
    /// even when no occurrence was missed. At least zero; default 10 s.
    /// </summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromSeconds(10);
}
