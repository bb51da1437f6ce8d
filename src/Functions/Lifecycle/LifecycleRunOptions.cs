namespace Serverless.Functions.Lifecycle;

/// <summary>
/// How the app runs the data lifecycle (configuration section <c>Lifecycle</c>, shared with the storage side's
/// <see cref="Serverless.Storage.Lifecycle.LifecycleOptions"/>, which says what expires when): how much each timer run
/// and each request may do, how fresh a kept report must be, and the receipt key. The timers' schedules are the app
/// settings <c>Lifecycle:RetentionSchedule</c>, <c>Lifecycle:OrphanSweepSchedule</c> and <c>Lifecycle:JobsSchedule</c>,
/// read by the host from the <c>[TimerTrigger]</c>s.
/// </summary>
public sealed class LifecycleRunOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Lifecycle";

    /// <summary>
    /// Base64 of at least 32 bytes: the key of the users' keyed hashes that name erasure receipts and queued jobs
    /// (<see cref="Serverless.Storage.Lifecycle.UserKeyHash"/>). Required outside Development; keep it for as long as
    /// receipts are to be found. In Development without one, a key is derived from <c>Auth:Development:SigningKey</c>.
    /// </summary>
    public string? ReceiptKey { get; set; }

    /// <summary>
    /// How long a request may work on a job itself before leaving the rest to the jobs timer: the first share of an
    /// erasure, a usage report or an integrity check (2 s). Small users are served within the request.
    /// </summary>
    public TimeSpan RequestWorkBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How old a kept usage report or integrity check may be before reading it also queues a new one (1 hour).</summary>
    public TimeSpan ReportMaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Expiry index entries one run of the retention sweep reads at most; the rest wait for the next run (5,000).</summary>
    public int RetentionMaxEntries { get; set; } = 5_000;

    /// <summary>Users one run of the orphan sweep sweeps at most; the next run carries on after the last one (1,000).</summary>
    public int OrphanSweepMaxUsers { get; set; } = 1_000;

    /// <summary>Queued jobs one run of the jobs timer looks at at most (50).</summary>
    public int JobsPerRun { get; set; } = 50;

    /// <summary>
    /// How long one run of the jobs timer works: erasures, migrations and the backfill stop there and carry on next
    /// run; no report starts after it (4 minutes, inside the Functions timeout).
    /// </summary>
    public TimeSpan JobsRunBudget { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>Pages of 1,000 rows of the one-off expiry backfill per run of the jobs timer, until it is done (20).</summary>
    public int BackfillPagesPerRun { get; set; } = 20;
}
